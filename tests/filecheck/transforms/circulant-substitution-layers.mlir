// RUN: ercc-opt %s -p 'circulant-substitution{block-size=1 layer-block-sizes="enc/a=2"}' | filecheck %s
// RUN: ercc-opt %s -p 'circulant-substitution{block-size=2 layer-block-sizes="b=1"}' | filecheck %s
// RUN: ercc-opt %s -p 'circulant-substitution{block-size=2}' | filecheck %s --check-prefix=ALL
// RUN: not ercc-opt %s -p 'circulant-substitution{block-size=1 layer-block-sizes="b=3"}' 2>&1 | filecheck %s --check-prefix=BAD

// Per-layer block sizes: a scan's `ercc.layer` (the ONNX node name, kept by
// lower-rnn-layers) selects its entry of layer-block-sizes; other scans use block-size.
func.func @two_layers(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %wa = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %wb = arith.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %h0 = arith.constant dense<0.0> : tensor<2xf32>
  %ya, %ha = rnn.scan %x init(%h0) {ercc.layer = "enc/a"} : (tensor<4x2xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  ^bb0(%xt: tensor<2xf32>, %h: tensor<2xf32>):
    %m = rnn.matvec %wa, %xt : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2xf32>
    rnn.yield %m : tensor<2xf32>
  }
  %yb, %hb = rnn.scan %ya init(%h0) {ercc.layer = "b"} : (tensor<4x2xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  ^bb0(%xt: tensor<2xf32>, %h: tensor<2xf32>):
    %m = rnn.matvec %wb, %xt : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2xf32>
    rnn.yield %m : tensor<2xf32>
  }
  func.return %ya, %yb : tensor<4x2xf32>, tensor<4x2xf32>
}

// CHECK-LABEL: func.func @two_layers
// CHECK:         %[[WA:.*]] = circ.const dense<{{.*}}> : tensor<1x1x2xf32> -> !circ.bc<2x2, 2, f32>
// CHECK:         rnn.scan %x {{.*}}{ercc.layer = "enc/a"}
// CHECK:           circ.matvec %[[WA]], %xt
// CHECK:         rnn.scan %ya {{.*}}{ercc.layer = "b"}
// CHECK:           rnn.matvec %wb, %xt

// ALL-COUNT-2:   circ.matvec

// BAD: block size of 'b' must be a power of two, got 3
