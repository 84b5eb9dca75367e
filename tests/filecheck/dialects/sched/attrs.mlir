// RUN: ercc-opt %s | ercc-opt | filecheck %s
// RUN: %roundtrip | filecheck %s

// CHECK-LABEL: func.func @annotated
func.func @annotated(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %w = arith.constant {sched.partition = #sched.partition<cyclic, 4>} dense<1.000000e+00> : tensor<4x4xf32>
  %w = arith.constant {sched.partition = #sched.partition<cyclic, 4>} dense<1.0> : tensor<4x4xf32>
  // CHECK-NEXT: %y = rnn.matvec %w, %x {sched.loop = #sched.loop<ii = 1, unroll = 4>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = rnn.matvec %w, %x {sched.loop = #sched.loop<ii = 1, unroll = 4>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// A dataflow function whose map hands its rows to the scan through a FIFO.
// CHECK-LABEL: func.func @dataflow
// CHECK-SAME:  attributes {sched.dataflow}
func.func @dataflow(%x: tensor<3x4xf32>) -> tensor<3x4xf32> attributes {sched.dataflow} {
  // CHECK: rnn.map %x {sched.stream = #sched.stream<depth = 8>}
  %rows = rnn.map %x {sched.stream = #sched.stream<depth = 8>} : tensor<3x4xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    rnn.yield %xt : tensor<4xf32>
  }
  func.return %rows : tensor<3x4xf32>
}

// Banks paired into one word, and the typed decisions on a row-pipelined map
// whose steps run as one loop.
// CHECK-LABEL: func.func @row_pipeline
func.func @row_pipeline(%x: tensor<3x2xf32>) -> tensor<3x4xf32> {
  // CHECK: circ.freq_const {sched.partition = #sched.partition<cyclic, 2, pairs = 2>}
  %w = circ.freq_const {sched.partition = #sched.partition<cyclic, 2, pairs = 2>} dense<1.0> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
  // CHECK: rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>, sched.overlap_steps = #sched.overlap<step = 2, total = 10, prologue = 3, split = 0, partial_sums = none>}
  %y = rnn.map %x {sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>, sched.overlap_steps = #sched.overlap<step = 2, total = 10, prologue = 3, split = 0, partial_sums = none>} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<2xf32>):
    %s = circ.rfft %xt : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
    %v = circ.irfft %m : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
    %h = rnn.activation <tanh> %v : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %h : tensor<4xf32>
  }
  func.return %y : tensor<3x4xf32>
}

// An overlapped scan's plan names how its partial sums are stored.
// CHECK-LABEL: func.func @plans
// CHECK-SAME:  sched.plan = #sched.overlap<step = 8, total = 30, prologue = 0, split = 1, partial_sums = reshape>
func.func @plans() attributes {sched.plan = #sched.overlap<step = 8, total = 30, prologue = 0, split = 1, partial_sums = reshape>} {
  func.return
}
