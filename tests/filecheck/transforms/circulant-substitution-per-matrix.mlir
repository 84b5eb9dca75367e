// RUN: ercc-opt %s -p 'circulant-substitution{block-size=1 layer-block-sizes="enc=2:4"}' | filecheck %s
// RUN: ercc-opt %s -p 'circulant-substitution{block-size=4 layer-block-sizes="enc=1:4"}' | filecheck %s --check-prefix=RONLY
// RUN: ercc-opt %s -p 'circulant-substitution{block-size=2 layer-block-sizes="enc=4"}' | filecheck %s --check-prefix=SAME
// RUN: not ercc-opt %s -p 'circulant-substitution{block-size=1 layer-block-sizes="enc=2:3"}' 2>&1 | filecheck %s --check-prefix=BADK
// RUN: not ercc-opt %s -p 'circulant-substitution{block-size=1 layer-block-sizes="enc=2:4:8"}' 2>&1 | filecheck %s --check-prefix=BADSPEC

// Block sizes per matrix: `NAME=KW:KR` gives the layer's input matvecs (of the
// step input %xt, the body's first argument) block size KW and its recurrent
// matvecs (of the state) KR; `NAME=K` gives both K.
func.func @cell(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]> : tensor<4x4xf32>
  %r = arith.constant dense<[[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 2.0, 0.0], [0.0, 2.0, 1.0, 0.0], [2.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %y, %h = rnn.scan %x init(%h0) {ercc.layer = "enc"} : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %hp: tensor<4xf32>):
    %a = rnn.matvec %w, %xt : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %b = rnn.matvec %r, %hp : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %s = rnn.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %s : tensor<4xf32>
  }
  func.return %y : tensor<3x4xf32>
}

// W at K = 2: 2x2 blocks, each entry the mean of its wrapped diagonal; R at K = 4: one block.
// CHECK-LABEL: func.func @cell
// CHECK-DAG:     %[[W:.*]] = circ.const dense<{{\[\[\[}}3.500000e+00, 3.500000e+00], [5.500000e+00, 5.500000e+00]], {{\[\[}}1.150000e+01, 1.150000e+01], [1.350000e+01, 1.350000e+01]]]> : tensor<2x2x2xf32> -> !circ.bc<4x4, 2, f32>
// CHECK-DAG:     %[[R:.*]] = circ.const dense<{{.*}}> : tensor<1x1x4xf32> -> !circ.bc<4x4, 4, f32>
// CHECK:         circ.matvec %[[W]], %xt
// CHECK:         circ.matvec %[[R]], %hp

// RONLY:         circ.const {{.*}} -> !circ.bc<4x4, 4, f32>
// RONLY-NOT:     circ.const
// RONLY:         rnn.matvec %w, %xt
// RONLY:         circ.matvec

// SAME-COUNT-2:  !circ.bc<4x4, 4, f32>

// BADK: layer-block-sizes: block size of 'enc' must be a power of two, got 3
// BADSPEC: layer-block-sizes: expected NAME=K or NAME=KW:KR, got 'enc=2:4:8'
