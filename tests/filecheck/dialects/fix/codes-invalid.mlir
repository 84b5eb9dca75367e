// RUN: ercc-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @codes_width(%x: tensor<4xf32>) -> tensor<4x!fix.fixed<16, 16>> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"} : tensor<4xf32> -> tensor<4x!fix.fixed<16, 16>>
  func.return %y : tensor<4x!fix.fixed<16, 16>>
}
// CHECK: fix.quant to codes needs a 8-bit signed result, got !fix.fixed<16, 16>

// -----

func.func @codes_offset(%x: tensor<4xf32>) -> tensor<4x!fix.fixed<8, 8>> {
  %y = fix.quant %x {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND", offset = 3 : i64} : tensor<4xf32> -> tensor<4x!fix.fixed<8, 8>>
  func.return %y : tensor<4x!fix.fixed<8, 8>>
}
// CHECK: fix.quant to codes needs offset 0

// -----

func.func @table_size(%x: tensor<4x!fix.fixed<4, 4>>, %t: tensor<8x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<8, 8>> {
  %y = fix.table %x, %t : (tensor<4x!fix.fixed<4, 4>>, tensor<8x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<8, 8>>
  func.return %y : tensor<4x!fix.fixed<8, 8>>
}
// CHECK: fix.table needs one entry per 4-bit input value (16), got shape [8]

// -----

func.func @table_wide(%x: tensor<4x!fix.fixed<16, 16>>, %t: tensor<65536x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<8, 8>> {
  %y = fix.table %x, %t : (tensor<4x!fix.fixed<16, 16>>, tensor<65536x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<8, 8>>
  func.return %y : tensor<4x!fix.fixed<8, 8>>
}
// CHECK: fix.table input is 16 bits wide; tables index at most 12 bits

// -----

func.func @table_float(%x: tensor<4xf32>, %t: tensor<16xf32>) -> tensor<4xf32> {
  %y = fix.table %x, %t : (tensor<4xf32>, tensor<16xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.table needs !fix.fixed input and table

// -----

func.func @dequant_float(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = fix.dequant %x {scale = 0.5 : f64} : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.dequant needs a tensor of !fix.fixed, got tensor<4xf32>

// -----

func.func @dequant_scale(%x: tensor<4x!fix.fixed<8, 8>>) -> tensor<4xf32> {
  %y = fix.dequant %x {scale = -0.5 : f64} : tensor<4x!fix.fixed<8, 8>> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.dequant: scale must be a positive finite number, got -0.5

// -----

func.func @cast_float(%x: tensor<4xf32>) -> tensor<4x!fix.fixed<8, 8>> {
  %y = fix.cast %x : tensor<4xf32> -> tensor<4x!fix.fixed<8, 8>>
  func.return %y : tensor<4x!fix.fixed<8, 8>>
}
// CHECK: fix.cast converts between !fix.fixed tensors, got tensor<4xf32> -> tensor<4x!fix.fixed<8, 8>>
