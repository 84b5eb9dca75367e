// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @zero_width(%a: !fix.fixed<0, 0>) {
  func.return
}
// CHECK: fixed-point width must be >= 1, got 0

// -----

func.func @too_wide(%a: !fix.fixed<63, 8>) {
  func.return
}
// CHECK: fixed-point width must be <= 62, got 63

// -----

func.func @int_bits_above_width(%a: !fix.fixed<8, 9>) {
  func.return
}
// CHECK: fixed-point integer bits must be within [0, width=8], got 9

// -----

func.func @negative_int_bits(%a: !fix.fixed<8, -1>) {
  func.return
}
// CHECK: fixed-point integer bits must be within [0, width=8], got -1

// -----

func.func @unknown_mode(%a: !fix.fixed<8, 3, AP_ROUND>) {
  func.return
}
// CHECK: unknown fixed-point keyword 'AP_ROUND': expected signed, unsigned, AP_TRN, AP_RND, AP_TRN_ZERO, AP_RND_ZERO, AP_RND_INF, AP_RND_MIN_INF, AP_RND_CONV or AP_WRAP, AP_SAT, AP_SAT_ZERO, AP_SAT_SYM

// -----

func.func @twice(%a: !fix.fixed<8, 3, AP_SAT, AP_WRAP>) {
  func.return
}
// CHECK: the overflow of a fixed-point type is given twice

// -----

func.func @generic_syntax_rejected(%a: !fix.fixed<#builtin.int<8>, #builtin.int<3>, "maybe", "AP_TRN", "AP_WRAP">) {
  func.return
}
// CHECK: Expected integer literal (fixed-point width)

// -----

func.func @const_out_of_range() {
  %c = fix.const dense<[128]> : tensor<1xi32> -> tensor<1x!fix.fixed<8, 3>>
  func.return
}
// CHECK: raw values must lie in [-128, 127] for !fix.fixed<8, 3>, got [128, 128]

// -----

func.func @const_shape() {
  %c = fix.const dense<[1, 2]> : tensor<2xi32> -> tensor<3x!fix.fixed<8, 3>>
  func.return
}
// CHECK: raw values have shape [2], result [3]

// -----

func.func @const_float() {
  %c = fix.const dense<[1, 2]> : tensor<2xi32> -> tensor<2xf32>
  func.return
}
// CHECK: fix.const must produce a tensor of !fix.fixed, got tensor<2xf32>

// -----

func.func @pwl_bad_tables(%x: tensor<4xf32>, %b: tensor<2xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4xf32> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64, above = 1.0 : f64} : (tensor<4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.pwl needs N+1 breakpoints and N values and slopes (1-D), got shapes [[2], [2], [2]]

// -----

func.func @pwl_mixed(%x: tensor<4x!fix.fixed<16, 6>>, %b: tensor<3xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4x!fix.fixed<16, 6>> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64, above = 1.0 : f64} : (tensor<4x!fix.fixed<16, 6>>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x!fix.fixed<16, 6>>
  func.return %y : tensor<4x!fix.fixed<16, 6>>
}
// CHECK: fix.pwl operands and result must be all f32 or all !fix.fixed

// -----

func.func @pwl_both_above(%x: tensor<4xf32>, %b: tensor<3xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4xf32> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64, above = 1.0 : f64, identity_above} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.pwl needs exactly one of 'above' and 'identity_above'

// -----

func.func @pwl_no_above(%x: tensor<4xf32>, %b: tensor<3xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4xf32> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK: fix.pwl needs exactly one of 'above' and 'identity_above'
