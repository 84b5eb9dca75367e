// RUN: ercc-opt %s -p 'pe-schedule{device=xczu9eg dsp-fraction=0.01}' | filecheck %s
// RUN: ercc-opt %s -p 'pe-schedule{device=xcu250}' | filecheck %s --check-prefix=BIG
// RUN: not ercc-opt %s -p 'pe-schedule{device=nonexistent}' 2>&1 | filecheck %s --check-prefix=BAD

// A big matvec (8x64: 512 multiplies) and a small one (8x8) in one step.
// With 25 DSPs and 2740 LUTs (1% of a ZU9EG; a float multiply-accumulate PE
// costs 5 DSPs and 500 LUTs, a float add 2 DSPs and 400 LUTs): PE counts are
// tried in steps that save an iteration (1, 2, 3, 4, 5, 7, ... of 64); the big
// matvec's PEs save the most cycles per share of the budgets, up to 3 (its
// weights split cyclically in 3 banks: 15 DSPs, 22 with the small matvec and
// the add); a 4th PE would need 5 DSPs of the 3 left. With a U250's budget
// every loop is fully unrolled.
func.func @cell(%x: tensor<3x64xf32>) -> tensor<3x8xf32> {
  %w = arith.constant dense<1.0> : tensor<8x64xf32>
  %r = arith.constant dense<1.0> : tensor<8x8xf32>
  %h0 = arith.constant dense<0.0> : tensor<8xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x64xf32>, tensor<8xf32>) -> (tensor<3x8xf32>, tensor<8xf32>) {
  ^bb0(%xt: tensor<64xf32>, %h: tensor<8xf32>):
    %a = rnn.matvec %w, %xt : (tensor<8x64xf32>, tensor<64xf32>) -> tensor<8xf32>
    %b = rnn.matvec %r, %h : (tensor<8x8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %s = rnn.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    rnn.yield %s : tensor<8xf32>
  }
  func.return %ys : tensor<3x8xf32>
}

// CHECK:       %w = arith.constant {sched.partition = #sched.partition<cyclic, 3>}
// CHECK:       rnn.scan %x init(%h0) {sched.loop = #sched.loop<ii = 1, unroll = 2>}
// CHECK:       rnn.matvec %w, %xt {sched.loop = #sched.loop<ii = 1, unroll = 3>}
// CHECK-NEXT:  rnn.matvec %r, %h {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK-NEXT:  rnn.add %a, %b {sched.loop = #sched.loop<ii = 1, unroll = 1>}

// BIG:         rnn.scan %x init(%h0) {sched.loop = #sched.loop<ii = 1, unroll = 64>}
// BIG:         rnn.matvec %w, %xt {sched.loop = #sched.loop<ii = 1, unroll = 64>}
// BIG-NEXT:    rnn.matvec %r, %h {sched.loop = #sched.loop<ii = 1, unroll = 8>}
// BIG-NEXT:    rnn.add %a, %b {sched.loop = #sched.loop<ii = 1, unroll = 8>}

// BAD: unknown device 'nonexistent' (known: xcku060, xc7vx690t, xcu250, xczu9eg)
