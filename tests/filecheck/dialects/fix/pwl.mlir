// RUN: ercc-opt %s --split-input-file | filecheck %s
// RUN: ercc-opt %s --split-input-file | ercc-opt --split-input-file | filecheck %s

// fix.pwl round trip, float and fixed.
func.func @pwl(%x: tensor<4xf32>, %b: tensor<3xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4xf32> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64, above = 1.0 : f64} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: %y = fix.pwl %x, %b, %v, %s {below = 0.000000e+00 : f64, above = 1.000000e+00 : f64} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>

// -----

func.func @pwl_fixed(%x: tensor<4x!fix.fixed<16, 6>>, %b: tensor<3x!fix.fixed<16, 5>>, %v: tensor<2x!fix.fixed<16, 1>>, %s: tensor<2x!fix.fixed<16, 0>>) -> tensor<4x!fix.fixed<16, 6>> {
  %y = fix.pwl %x, %b, %v, %s {below = -1.0 : f64, above = 1.0 : f64} : (tensor<4x!fix.fixed<16, 6>>, tensor<3x!fix.fixed<16, 5>>, tensor<2x!fix.fixed<16, 1>>, tensor<2x!fix.fixed<16, 0>>) -> tensor<4x!fix.fixed<16, 6>>
  func.return %y : tensor<4x!fix.fixed<16, 6>>
}
// CHECK: fix.pwl %x, %b, %v, %s {below = -1.000000e+00 : f64, above = 1.000000e+00 : f64} : (tensor<4x!fix.fixed<16, 6>>, tensor<3x!fix.fixed<16, 5>>, tensor<2x!fix.fixed<16, 1>>, tensor<2x!fix.fixed<16, 0>>) -> tensor<4x!fix.fixed<16, 6>>

// -----

// identity_above: y = x at and beyond the last breakpoint (softplus, elu).
func.func @pwl_identity(%x: tensor<4xf32>, %b: tensor<3xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4xf32> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64, identity_above} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: %y = fix.pwl %x, %b, %v, %s {below = 0.000000e+00 : f64, identity_above} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
