// RUN: ercc-opt %s | ercc-opt | filecheck %s
// RUN: %roundtrip | filecheck %s

// rnn.map: no state; row t of every result is the body applied to x_t.
// CHECK-LABEL: func.func @input_path
func.func @input_path(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  // CHECK:      %p, %xs = rnn.map %x : tensor<3x4xf32> -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  // CHECK-NEXT: ^bb0(%xt: tensor<4xf32>):
  // CHECK-NEXT:   %wx = rnn.matvec %w, %xt : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2xf32>
  // CHECK-NEXT:   rnn.yield %wx, %xt : tensor<2xf32>, tensor<4xf32>
  // CHECK-NEXT: }
  %p, %xs = rnn.map %x : tensor<3x4xf32> -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    %wx = rnn.matvec %w, %xt : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2xf32>
    rnn.yield %wx, %xt : tensor<2xf32>, tensor<4xf32>
  }
  func.return %p : tensor<3x2xf32>
}
