// RUN: ercc-opt %s | filecheck %s
// RUN: %roundtrip | filecheck %s

// CHECK: %c = fix.const dense<[384, -128]> : tensor<2xi32> -> tensor<2x!fix.fixed<16, 6>>
// CHECK: %w = fix.const dense<[-2147483648, 5]> : tensor<2xi64> -> tensor<2x!fix.fixed<40, 8, AP_SAT>>
func.func @consts() {
  %c = fix.const dense<[384, -128]> : tensor<2xi32> -> tensor<2x!fix.fixed<16, 6>>
  %w = fix.const dense<[-2147483648, 5]> : tensor<2xi64> -> tensor<2x!fix.fixed<40, 8, AP_SAT>>
  func.return
}
