// RUN: ercc-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @zero_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = fix.quant %x {scale = 0.0 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.quant: scale must be a positive finite number, got 0.0

// -----

func.func @one_bit(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 1 : i64, signed, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.quant: bit width must be an integer in [2, 32], got 1

// -----

func.func @zero_point(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 3.0 : f64, bits = 8 : i64, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.quant: zero point 3.0 is not supported (only 0: symmetric quantizers)

// -----

func.func @rounding(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "HALF_UP"} : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.quant: rounding mode 'HALF_UP' is not supported (one of ROUND, FLOOR, CEIL, ROUND_TO_ZERO)

// -----

func.func @fixed_operand(%x: tensor<4x!fix.fixed<8, 2>>) -> tensor<4x!fix.fixed<8, 2>> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"} : tensor<4x!fix.fixed<8, 2>> -> tensor<4x!fix.fixed<8, 2>>
  func.return %y : tensor<4x!fix.fixed<8, 2>>
}
// CHECK: fix.quant works on f32 tensors, got tensor<4x!fix.fixed<8, 2>>

// -----

func.func @shape(%x: tensor<4xf32>) -> tensor<2xf32> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"} : tensor<4xf32> -> tensor<2xf32>
  func.return %y : tensor<2xf32>
}
// CHECK: fix.quant result must have its input's type
