// RUN: ercc-opt %s -p 'lower-rnn-layers,circulant-substitution{block-size=1 layer-block-sizes="enc/a=2"}' | filecheck %s

// The importer names a layer op after its ONNX node (`ercc.layer`); lower-rnn-layers
// puts the name on the scan of every direction, so a per-layer block size reaches
// both directions' gate matrices, and a layer without an entry keeps block-size.
func.func @named(%x: tensor<3x1x2xf32>) -> (tensor<3x2x1x2xf32>, tensor<3x1x1x2xf32>) {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %r = arith.constant dense<0.5> : tensor<2x2x2xf32>
  %y, %yh = rnn.rnn %x, %w, %r {hidden_size = 2 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<tanh>, #rnn.act<tanh>], ercc.layer = "enc/a"} : tensor<3x1x2xf32>, tensor<2x2x2xf32>, tensor<2x2x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
  %w1 = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>
  %r1 = arith.constant dense<0.5> : tensor<1x2x2xf32>
  %y1, %yh1 = rnn.rnn %x, %w1, %r1 {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>], ercc.layer = "dec"} : tensor<3x1x2xf32>, tensor<1x2x2xf32>, tensor<1x2x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y, %y1 : tensor<3x2x1x2xf32>, tensor<3x1x1x2xf32>
}

// CHECK-LABEL: func.func @named
// CHECK:         rnn.scan {{.*}}{ercc.layer = "enc/a"}
// CHECK-COUNT-2:   circ.matvec
// CHECK:         rnn.scan {{.*}}{ercc.layer = "enc/a"}
// CHECK-COUNT-2:   circ.matvec
// CHECK:         rnn.scan {{.*}}{ercc.layer = "dec"}
// CHECK-NOT:       circ.matvec
// CHECK-COUNT-2:   rnn.matvec
// CHECK:         rnn.yield
