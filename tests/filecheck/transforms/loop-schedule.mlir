// RUN: ercc-opt %s -p loop-schedule | filecheck %s
// RUN: ercc-opt %s -p 'loop-schedule{max-unroll=2}' | filecheck %s --check-prefix=U2

func.func @cell(%x: tensor<3x6xf32>) -> tensor<3x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x6xf32>
  %wf = circ.freq_const dense<0.5> : tensor<1x2x3x2xf32> -> !circ.fbc<4x6, 4, f32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x6xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<6xf32>, %h: tensor<4xf32>):
    %m = rnn.matvec %w, %xt : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4xf32>
    %s = circ.rfft %xt : tensor<6xf32> -> !circ.spectrum<2, 4, f32>
    %f = circ.freq_mac %wf, %s : !circ.fbc<4x6, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<1, 4, f32>
    %y = circ.irfft %f : !circ.spectrum<1, 4, f32> -> tensor<4xf32>
    %a = rnn.add %m, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %t = rnn.activation <tanh> %a : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %t : tensor<4xf32>
  }
  func.return %ys : tensor<3x4xf32>
}

// Reductions unroll their inner loop (6 columns, capped at 8; 2 block
// columns) and partition the constant they read by the same factor;
// every other loop op (elementwise ops, FFTs, the scan's per-step copies) gets
// ii = 1, unroll = 1, so the module decides every loop; the recurrence is not pipelined.
// CHECK:       %w = arith.constant {sched.partition = #sched.partition<cyclic, 6>}
// CHECK-NEXT:  %wf = circ.freq_const {sched.partition = #sched.partition<cyclic, 2>}
// CHECK:       rnn.scan %x init(%h0) {sched.loop = #sched.loop<ii = 1, unroll = 1>} : (
// CHECK:         rnn.matvec %w, %xt {sched.loop = #sched.loop<ii = 1, unroll = 6>}
// CHECK-NEXT:    circ.rfft %xt {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK-NEXT:    circ.freq_mac %wf, %s {sched.loop = #sched.loop<ii = 1, unroll = 2>}
// CHECK-NEXT:    circ.irfft %f {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK-NEXT:    rnn.add %m, %y {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK-NEXT:    rnn.activation <tanh> %a {sched.loop = #sched.loop<ii = 1, unroll = 1>}

// U2:          rnn.matvec %w, %xt {sched.loop = #sched.loop<ii = 1, unroll = 2>}

// Any op with the Elementwise trait is pipelined, fix.pwl (an activation table) included.
func.func @pwl(%x: tensor<4xf32>, %b: tensor<3xf32>, %v: tensor<2xf32>, %s: tensor<2xf32>) -> tensor<4xf32> {
  %y = fix.pwl %x, %b, %v, %s {below = 0.0 : f64, above = 1.0 : f64} : (tensor<4xf32>, tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
// CHECK-LABEL: func.func @pwl
// CHECK:         fix.pwl %x, %b, %v, %s {sched.loop = #sched.loop<ii = 1, unroll = 1>, below = 0.000000e+00 : f64, above = 1.000000e+00 : f64}
