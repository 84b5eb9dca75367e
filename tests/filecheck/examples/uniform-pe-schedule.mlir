// The example out-of-tree scheduler (examples/passes/uniform_schedule.py), loaded as a plugin in
// place of pe-schedule: every decision it makes is a sched attribute, and the kernel follows them.
// RUN: ercc-opt %s --load-pass-plugin %S/../../../examples/passes/uniform_schedule.py -p 'uniform-pe-schedule{pes=2 row-pipelines=true}' | filecheck %s
// RUN: ercc-opt %s --load-pass-plugin %S/../../../examples/passes/uniform_schedule.py -p 'uniform-pe-schedule{pes=2}' | filecheck %s --check-prefix=PLAIN
// RUN: ercc-opt %s --load-pass-plugin %S/../../../examples/passes/uniform_schedule.py -p 'uniform-pe-schedule{pes=2 row-pipelines=true}' -t hls-cpp | filecheck %s --check-prefix=CPP
// RUN: not ercc-opt %s --load-pass-plugin %S/../../../examples/passes/uniform_schedule.py -p 'uniform-pe-schedule{pes=0}' 2>&1 | filecheck %s --check-prefix=BAD

// A one-layer RNN at k = 2 after hoist-input-path: an input path (4 rows from 2 inputs, one
// block column) and a recurrence (2 block columns: 2 PEs fit, its weights split into 2 banks).
  func.func @ercc_kernel(%X: tensor<3x1x2xf32>) -> (tensor<3x1x1x4xf32>, tensor<1x1x4xf32>) attributes {ercc.input_names = ["X"], ercc.output_names = ["Y", "Y_h"]} {
    %0 = rnn.reshape %X : tensor<3x1x2xf32> -> tensor<3x2xf32>
    %1 = arith.constant dense<[0.222872168, 0.157103717, -0.876558721, -0.56545049]> : tensor<4xf32>
    %2 = circ.freq_const dense<[[[[0.184737027, 0.000000e+00], [-0.0694218576, 0.000000e+00]]], [[[0.519251645, 0.000000e+00], [-0.313545883, 0.000000e+00]]]]> : tensor<2x1x2x2xf32> -> !circ.fbc<4x2, 2, f32>
    %3 = circ.freq_const dense<[[[[-1.12824476, 0.000000e+00], [0.666981339, 0.000000e+00]], [[-0.640031695, 0.000000e+00], [-0.0377391875, 0.000000e+00]]], [[[0.0943423957, 0.000000e+00], [0.316759825, 0.000000e+00]], [[0.285114825, 0.000000e+00], [0.0964554846, 0.000000e+00]]]]> : tensor<2x2x2x2xf32> -> !circ.fbc<4x4, 2, f32>
    %4 = arith.constant dense<0.000000e+00> : tensor<4xf32>
    %5 = rnn.map %0 {ercc.layer = "rnn_0"} : tensor<3x2xf32> -> (tensor<3x4xf32>) {
    ^bb0(%6: tensor<2xf32>):
      %7 = circ.rfft %6 : tensor<2xf32> -> !circ.spectrum<1, 2, f32>
      %8 = circ.freq_mac %2, %7 : !circ.fbc<4x2, 2, f32>, !circ.spectrum<1, 2, f32> -> !circ.spectrum<2, 2, f32>
      %9 = circ.irfft %8 : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
      rnn.yield %9 : tensor<4xf32>
    }
    %10, %11 = rnn.scan %5 init(%4) {ercc.layer = "rnn_0"} : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
    ^bb0(%12: tensor<4xf32>, %13: tensor<4xf32>):
      %14 = circ.rfft %13 : tensor<4xf32> -> !circ.spectrum<2, 2, f32>
      %15 = circ.freq_mac %3, %14 : !circ.fbc<4x4, 2, f32>, !circ.spectrum<2, 2, f32> -> !circ.spectrum<2, 2, f32>
      %16 = circ.irfft %15 : !circ.spectrum<2, 2, f32> -> tensor<4xf32>
      %17 = rnn.add %12, %16 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %18 = rnn.add %17, %1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %19 = rnn.activation <tanh> %18 : tensor<4xf32> -> tensor<4xf32>
      rnn.yield %19 : tensor<4xf32>
    }
    %Y = rnn.reshape %10 : tensor<3x4xf32> -> tensor<3x1x1x4xf32>
    %Y_h = rnn.reshape %11 : tensor<4xf32> -> tensor<1x1x4xf32>
    func.return %Y, %Y_h : tensor<3x1x1x4xf32>, tensor<1x1x4xf32>
  }

// No dataflow: the processes run one after another.
// CHECK:       func.func @ercc_kernel
// CHECK-NOT:   sched.dataflow
// CHECK:       circ.freq_const dense<
// CHECK:       %3 = circ.freq_const {sched.partition = #sched.partition<cyclic, 2>}
// CHECK:       rnn.map %0 {ercc.layer = "rnn_0", sched.loop = #sched.loop<ii = 1, unroll = 1>, sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>}
// CHECK:       circ.freq_mac %2, %7 {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK:       rnn.scan %5 init(%4) {ercc.layer = "rnn_0", sched.loop = #sched.loop<ii = 1, unroll = 1>, sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 4, block = 2>}
// CHECK:       circ.rfft %13 {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK-NEXT:  circ.freq_mac %3, %14 {sched.loop = #sched.loop<ii = 1, unroll = 2>}
// CHECK-NEXT:  circ.irfft %15 {sched.loop = #sched.loop<ii = 1, unroll = 1>}
// CHECK-NOT:   sched.stream
// CHECK-NOT:   sched.overlap_steps
// CHECK-NOT:   sched.next_spectrum

// PLAIN:       rnn.map %0 {ercc.layer = "rnn_0", sched.loop = #sched.loop<ii = 1, unroll = 1>}
// PLAIN:       rnn.scan %5 init(%4) {ercc.layer = "rnn_0", sched.loop = #sched.loop<ii = 1, unroll = 1>}
// PLAIN-NOT:   sched.row_pipeline

// CPP-NOT:     #pragma HLS dataflow
// CPP:         #pragma HLS array_partition variable={{.*}} cyclic factor=4 dim=1
// CPP:         // circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline
// CPP:         // circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline
// The recurrence's 2 PEs take its 2 block columns at once: (2 rows + 1 gate to drain) iterations.
// CPP:         freq_mac11_rows: for (int i = 0; i < 3; i++) {

// BAD: pes must be >= 1, got 0
