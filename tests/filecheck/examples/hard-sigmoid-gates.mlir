// The example out-of-tree pass (examples/passes/hard_sigmoid.py), loaded as a plugin.
// RUN: ercc-opt %s --load-pass-plugin %S/../../../examples/passes/hard_sigmoid.py -p hard-sigmoid-gates | filecheck %s
// RUN: ercc-opt %s --load-pass-plugin %S/../../../examples/passes/hard_sigmoid.py -p 'hard-sigmoid-gates{alpha=0.25 beta=0.375}' | filecheck %s --check-prefix=OPT

// A sigmoid gate inside a recurrence becomes a hard sigmoid; tanh and sigmoids
// outside recurrences are left alone.
func.func @cell(%x: tensor<3x2xf32>, %h0: tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>) {
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>) {
  ^bb0(%xt: tensor<2xf32>, %h: tensor<2xf32>):
    %a = rnn.add %xt, %h : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    %g = rnn.activation <sigmoid> %a : tensor<2xf32> -> tensor<2xf32>
    %c = rnn.activation <tanh> %a : tensor<2xf32> -> tensor<2xf32>
    %n = rnn.mul %g, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    rnn.yield %n : tensor<2xf32>
  }
  %out = rnn.activation <sigmoid> %hT : tensor<2xf32> -> tensor<2xf32>
  func.return %ys, %out : tensor<3x2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @cell
// CHECK:         rnn.scan
// CHECK:           %[[A:.*]] = rnn.add
// CHECK-NEXT:      %[[G:.*]] = rnn.activation <hard_sigmoid, 0.2, 0.5> %[[A]]
// CHECK-NEXT:      %{{.*}} = rnn.activation <tanh> %[[A]]
// CHECK:         rnn.activation <sigmoid>
// CHECK-NOT:     hard_sigmoid

// OPT:           rnn.activation <hard_sigmoid, 0.25, 0.375>
