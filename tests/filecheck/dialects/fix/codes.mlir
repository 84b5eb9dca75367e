// RUN: ercc-opt %s | filecheck %s
// RUN: ercc-opt %s --print-op-generic | ercc-opt | filecheck %s

// The integer datapath of a quantized model: a quantizer yielding codes, a table, back to float32.
!acc = !fix.fixed<8, 8, AP_RND_CONV, AP_SAT>
!sig = !fix.fixed<8, 0, unsigned, AP_RND_CONV, AP_SAT>
func.func @codes(%x: tensor<4xf32>, %t: tensor<256x!sig>) -> tensor<4xf32> {
  %q = fix.quant %x {scale = 0.1 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"} : tensor<4xf32> -> tensor<4x!acc>
  %s = fix.table %q, %t : (tensor<4x!acc>, tensor<256x!sig>) -> tensor<4x!sig>
  %w = fix.cast %s : tensor<4x!sig> -> tensor<4x!fix.fixed<16, 4>>
  %y = fix.dequant %w {scale = 1.0 : f64} : tensor<4x!fix.fixed<16, 4>> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @codes
// CHECK-NEXT:    %q = fix.quant %x {scale = 1.000000e-01 : f64, zero_point = 0.000000e+00 : f64, bits = 8 : i64, signed, rounding = "ROUND"} : tensor<4xf32> -> tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>
// CHECK-NEXT:    %s = fix.table %q, %t : (tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>, tensor<256x!fix.fixed<8, 0, unsigned, AP_RND_CONV, AP_SAT>>) -> tensor<4x!fix.fixed<8, 0, unsigned, AP_RND_CONV, AP_SAT>>
// CHECK-NEXT:    %w = fix.cast %s : tensor<4x!fix.fixed<8, 0, unsigned, AP_RND_CONV, AP_SAT>> -> tensor<4x!fix.fixed<16, 4>>
// CHECK-NEXT:    %y = fix.dequant %w {scale = 1.000000e+00 : f64} : tensor<4x!fix.fixed<16, 4>> -> tensor<4xf32>
