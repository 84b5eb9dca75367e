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

// -----

func.func @wrong_shape(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 2, size = 4, block = 2>} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: the body is a row pipeline of gates = 1, size = 4, block = 2; the attribute says #sched.row_pipeline<gates = 2, size = 4, block = 2>

// -----

func.func @unit_row_pipeline(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.row_pipeline} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: sched.row_pipeline must be a #sched.row_pipeline<gates, size, block>

// -----

func.func @unit_overlap(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>, sched.overlap_steps} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: sched.overlap_steps must be a #sched.overlap plan, got unit

// -----

func.func @overlap_alone(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.overlap_steps = #sched.overlap<step = 2, total = 10, prologue = 3, split = 0, partial_sums = none>} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: sched.overlap_steps needs a #sched.row_pipeline on the same op

// -----

func.func @split_map(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>, sched.overlap_steps = #sched.overlap<step = 2, total = 10, prologue = 3, split = 1, partial_sums = partition>} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: an overlapped map does not split its rows, got split = 1

// -----

func.func @odd_step(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>, sched.overlap_steps = #sched.overlap<step = 3, total = 10, prologue = 3, split = 0, partial_sums = none>} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: an overlapped step walks the 2 block rows a whole number of times, got step = 3

// -----

func.func @next_spectrum_map(%x: tensor<3x2xf32>) {
  %w = circ.freq_const dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  %y = rnn.map %x {sched.next_spectrum} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    rnn.yield %v : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: sched.next_spectrum needs a #sched.row_pipeline on the same op

// -----

// A body that is not one MAC, its inverse FFT and a tail cannot be marked.
func.func @not_a_row_pipeline(%x: tensor<3x4xf32>) {
  %y = rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>} : tensor<3x4xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    %h = rnn.activation <tanh> %xt : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %h : tensor<4xf32>
  }
  func.return
}
// CHECK: rnn.map: its body is not a row pipeline (FFTs, one circ.freq_mac, its circ.irfft, an elementwise tail), but it is marked sched.row_pipeline

// -----

func.func @paired_block() {
  %w = arith.constant {sched.partition = #sched.partition<block, 4, pairs = 2>} dense<1.0> : tensor<4x4xf32>
  func.return
}
// CHECK: only a cyclic partition pairs banks, got pairs = 2 on block

// -----

func.func @split_without_partial_sums() attributes {sched.plan = #sched.overlap<step = 8, total = 30, prologue = 0, split = 1, partial_sums = none>} {
  func.return
}
// CHECK: overlap with split = 1 must store its partial sums as partition or reshape, got none

// -----

func.func @bad_partial_sums() attributes {sched.plan = #sched.overlap<step = 8, total = 30, prologue = 0, split = 1, partial_sums = banked>} {
  func.return
}
// CHECK: partial sums layout must be one of none, partition, reshape, got 'banked'

// -----

func.func @zero_gates() attributes {sched.plan = #sched.row_pipeline<gates = 0, size = 4, block = 2>} {
  func.return
}
// CHECK: row pipeline gates must be >= 1, got 0
