// RUN: ercc-opt %s -p 'hoist-input-path,pe-schedule' | filecheck %s
// RUN: ercc-opt %s -p 'hoist-input-path,pe-schedule{row-pipelines=false}' | filecheck %s --check-prefix=OFF
// RUN: ercc-opt %s -p 'pe-schedule' | filecheck %s --check-prefix=TWO

// A simple RNN at K = 4 after fft-decompose. Once hoist-input-path has moved
// W·x into an rnn.map, each step has one MAC whose inverse FFT feeds only
// elementwise work: the map and the scan both become row pipelines (MAC,
// inverse FFT and tail in one loop), and the scan's loop also transforms its
// next state (sched.next_spectrum). Without hoisting the step has two MACs
// (W·x and R·h) and keeps its ops one after another.
func.func @ercc_kernel(%X: tensor<3x1x4xf32>) -> (tensor<3x1x1x8xf32>, tensor<1x1x8xf32>) attributes {ercc.input_names = ["X"], ercc.output_names = ["Y", "Y_h"]} {
  %0 = rnn.reshape %X : tensor<3x1x4xf32> -> tensor<3x4xf32>
  %1 = arith.constant dense<[0.517025888, -0.932961404, -1.02714384, -0.390251189, -0.87372911, 0.688041329, -0.37296772, -0.482542604]> : tensor<8xf32>
  %2 = circ.freq_const dense<[[[[-0.532143891, 0.000000e+00], [-0.191649154, 0.228786513], [0.481333941, 0.000000e+00]]], [[[-0.075779736, 0.000000e+00], [-0.252159536, -0.294914871], [0.51486361, 0.000000e+00]]]]> : tensor<2x1x3x2xf32> -> !circ.fbc<8x4, 4, f32>
  %3 = circ.freq_const dense<[[[[6.099480e-01, 0.000000e+00], [-0.305408925, 0.235121638], [0.526058197, 0.000000e+00]], [[0.532347202, 0.000000e+00], [-0.540250182, -0.358329445], [-0.827858686, 0.000000e+00]]], [[[0.521250427, 0.000000e+00], [-0.154095128, -0.210756734], [0.240893513, 0.000000e+00]], [[0.353994071, 0.000000e+00], [0.392470449, -0.274379671], [0.451575875, 0.000000e+00]]]]> : tensor<2x2x3x2xf32> -> !circ.fbc<8x8, 4, f32>
  %4 = arith.constant dense<0.000000e+00> : tensor<8xf32>
  %5, %6 = rnn.scan %0 init(%4) {ercc.layer = "rnn_0"} : (tensor<3x4xf32>, tensor<8xf32>) -> (tensor<3x8xf32>, tensor<8xf32>) {
  ^bb0(%7: tensor<4xf32>, %8: tensor<8xf32>):
    %9 = circ.rfft %8 : tensor<8xf32> -> !circ.spectrum<2, 4, f32>
    %10 = circ.rfft %7 : tensor<4xf32> -> !circ.spectrum<1, 4, f32>
    %11 = circ.freq_mac %2, %10 : !circ.fbc<8x4, 4, f32>, !circ.spectrum<1, 4, f32> -> !circ.spectrum<2, 4, f32>
    %12 = circ.irfft %11 : !circ.spectrum<2, 4, f32> -> tensor<8xf32>
    %13 = circ.freq_mac %3, %9 : !circ.fbc<8x8, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<2, 4, f32>
    %14 = circ.irfft %13 : !circ.spectrum<2, 4, f32> -> tensor<8xf32>
    %15 = rnn.add %12, %14 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %16 = rnn.add %15, %1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %17 = rnn.activation <tanh> %16 : tensor<8xf32> -> tensor<8xf32>
    rnn.yield %17 : tensor<8xf32>
  }
  %Y = rnn.reshape %5 : tensor<3x8xf32> -> tensor<3x1x1x8xf32>
  %Y_h = rnn.reshape %6 : tensor<8xf32> -> tensor<1x1x8xf32>
  func.return %Y, %Y_h : tensor<3x1x1x8xf32>, tensor<1x1x8xf32>
}

// CHECK:      rnn.map %0 {ercc.layer = "rnn_0", sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 8, block = 4>, sched.loop = #sched.loop<{{.*}}>}
// CHECK:      rnn.scan %5 init(%4) {ercc.layer = "rnn_0", sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 8, block = 4>, sched.next_spectrum, sched.loop = #sched.loop<{{.*}}>}

// OFF-NOT:    sched.row_pipeline
// OFF-NOT:    sched.next_spectrum

// TWO:        rnn.scan
// TWO-NOT:    sched.row_pipeline
