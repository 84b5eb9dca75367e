// RUN: ercc-opt %s | filecheck %s
// RUN: ercc-opt %s --print-op-generic | ercc-opt | filecheck %s

// A model's quantizer: scale and zero point as the float32 values the model holds (printed exactly).
func.func @quant(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = fix.quant %x {scale = 0.0027431980613619087 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
  %b = fix.quant %a {scale = 0.0039215688593685627 : f64, zero_point = 0.0 : f64, bits = 4 : i64, rounding = "FLOOR"} : tensor<4xf32> -> tensor<4xf32>
  func.return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @quant
// CHECK-NEXT:    %a = fix.quant %x {scale = 0.0027431980613619087 : f64, zero_point = 0.000000e+00 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
// CHECK-NEXT:    %b = fix.quant %a {scale = 0.0039215688593685627 : f64, zero_point = 0.000000e+00 : f64, bits = 4 : i64, rounding = "FLOOR"} : tensor<4xf32> -> tensor<4xf32>
