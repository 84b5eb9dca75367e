// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @zero_ii(%w: tensor<4x4xf32>, %x: tensor<4xf32>) {
  %y = rnn.matvec %w, %x {sched.loop = #sched.loop<ii = 0, unroll = 4>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: initiation interval must be >= 1, got 0

// -----

func.func @bad_partition() {
  %w = arith.constant {sched.partition = #sched.partition<diagonal, 4>} dense<1.0> : tensor<4x4xf32>
  func.return
}
// CHECK: partition kind must be one of cyclic, block, complete, got 'diagonal'

// -----

func.func @empty_fifo(%x: tensor<3x4xf32>) {
  %rows = rnn.map %x {sched.stream = #sched.stream<depth = 0>} : tensor<3x4xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    rnn.yield %xt : tensor<4xf32>
  }
  func.return
}
// CHECK: stream depth must be >= 1, got 0
