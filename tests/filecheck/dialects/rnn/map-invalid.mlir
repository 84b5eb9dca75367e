// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @rows_not_stacked(%x: tensor<3x4xf32>) {
  %p = rnn.map %x : tensor<3x4xf32> -> (tensor<2x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    rnn.yield %xt : tensor<4xf32>
  }
  func.return
}
// CHECK: result 0 must have shape [3, 4] (the yielded rows stacked), got [2, 4]

// -----

func.func @bad_step(%x: tensor<3x4xf32>) {
  %p = rnn.map %x : tensor<3x4xf32> -> (tensor<3x5xf32>) {
  ^bb0(%xt: tensor<5xf32>):
    rnn.yield %xt : tensor<5xf32>
  }
  func.return
}
// CHECK: body must take one step argument of shape [4]

// -----

func.func @yield_count(%x: tensor<3x4xf32>) {
  %p, %q = rnn.map %x : tensor<3x4xf32> -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    rnn.yield %xt : tensor<4xf32>
  }
  func.return
}
// CHECK: body must end with rnn.yield of 2 value(s)

// -----

func.func @no_results(%x: tensor<3x4xf32>) {
  "rnn.map"(%x) ({
  ^bb0(%xt: tensor<4xf32>):
    "rnn.yield"() : () -> ()
  }) : (tensor<3x4xf32>) -> ()
  func.return
}
// CHECK: rnn.map needs at least one result
