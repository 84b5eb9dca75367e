// RUN: ercc-opt %s -p 'quantize{weight-bits=16}' | filecheck %s

// A scan's `ercc.weight_bits` (a per-layer option, put on the layer op by the
// compiler and kept by lower-rnn-layers) sets the width of the weights it uses;
// the other scans' weights get weight-bits.
func.func @two_layers(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %wa = arith.constant dense<[[0.5, 0.25], [0.125, 0.75]]> : tensor<2x2xf32>
  %wb = arith.constant dense<[[0.5, 0.25], [0.125, 0.75]]> : tensor<2x2xf32>
  %h0 = arith.constant dense<0.0> : tensor<2xf32>
  %ya, %ha = rnn.scan %x init(%h0) {ercc.layer = "a", ercc.weight_bits = 6 : i64} : (tensor<4x2xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  ^bb0(%xt: tensor<2xf32>, %h: tensor<2xf32>):
    %m = rnn.matvec %wa, %xt : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2xf32>
    %hn = rnn.activation <tanh> %m : tensor<2xf32> -> tensor<2xf32>
    rnn.yield %hn : tensor<2xf32>
  }
  %yb, %hb = rnn.scan %ya init(%h0) {ercc.layer = "b"} : (tensor<4x2xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  ^bb0(%xt: tensor<2xf32>, %h: tensor<2xf32>):
    %m = rnn.matvec %wb, %xt : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2xf32>
    %hn = rnn.activation <tanh> %m : tensor<2xf32> -> tensor<2xf32>
    rnn.yield %hn : tensor<2xf32>
  }
  func.return %ya, %yb : tensor<4x2xf32>, tensor<4x2xf32>
}

// CHECK-LABEL: func.func @two_layers
// CHECK:         %wa = fix.const dense<{{\[\[}}16, 8], [4, 24]]> : tensor<2x2xi32> -> tensor<2x2x!fix.fixed<6, 1, AP_RND, AP_SAT>>
// CHECK:         %wb = fix.const dense<{{\[\[}}16384, 8192], [4096, 24576]]> : tensor<2x2xi32> -> tensor<2x2x!fix.fixed<16, 1, AP_RND, AP_SAT>>
