// RUN: ercc-opt %s -p 'circulant-substitution{block-size=2}' | filecheck %s
// RUN: ercc-opt %s -p 'circulant-substitution{block-size=1}' | filecheck %s --check-prefix=DENSE
// RUN: ercc-opt %s -p 'circulant-substitution{block-size=4}' | filecheck %s --check-prefix=K4
// RUN: not ercc-opt %s -p 'circulant-substitution{block-size=3}' 2>&1 | filecheck %s --check-prefix=BAD

// W = [[1, 2, 5], [3, 4, 6]] in blocks of 2: block (0, 0) has diagonals
// {1, 4} and {3, 2}, means 2.5 and 2.5; block (0, 1) holds only the existing
// column 2, so its diagonals are 5 and 6 (the padding is not averaged in).
func.func @gate(%x: tensor<4x3xf32>, %v: tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]]> : tensor<2x3xf32>
  %h0 = arith.constant dense<0.0> : tensor<2xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<4x3xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<2xf32>):
    %m = rnn.matvec %w, %xt : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2xf32>
    rnn.yield %m : tensor<2xf32>
  }
  %head = arith.constant dense<1.0> : tensor<2x2xf32>
  %out = rnn.matvec %head, %v : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2xf32>
  func.return %ys, %out : tensor<4x2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @gate
// CHECK-NOT:     arith.constant dense<{{\[\[}}1.0
// CHECK:         %[[W:.*]] = circ.const dense<{{\[\[\[}}2.500000e+00, 2.500000e+00], [5.000000e+00, 6.000000e+00]]]> : tensor<1x2x2xf32> -> !circ.bc<2x3, 2, f32>
// CHECK:         rnn.scan
// CHECK:           %{{.*}} = circ.matvec %[[W]], %xt : !circ.bc<2x3, 2, f32>, tensor<3xf32> -> tensor<2xf32>
// A matvec outside a recurrence (a dense head) stays dense.
// CHECK:         %out = rnn.matvec %head, %v

// DENSE-LABEL: func.func @gate
// DENSE-NOT:     circ.
// DENSE:         %m = rnn.matvec %w, %xt

// A block larger than the matrix: one zero-padded 4x4 block.
// K4:          circ.const dense<{{.*}}> : tensor<1x1x4xf32> -> !circ.bc<2x3, 4, f32>

// BAD: block-size must be a power of two, got 3
