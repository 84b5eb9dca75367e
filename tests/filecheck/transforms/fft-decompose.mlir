// RUN: ercc-opt %s -p fft-decompose | filecheck %s

// Two gates read the same x_t: its spectrum is computed once. The weights'
// spectra are computed at compile time: the vector [1, 2, 3, 4] has real FFT
// [10, -2+2i, -2] and the vector [1, 0, 0, 0] (identity block) has [1, 1, 1].
func.func @gates(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %wa = circ.const dense<[[[1.0, 2.0, 3.0, 4.0]]]> : tensor<1x1x4xf32> -> !circ.bc<4x4, 4, f32>
  %wb = circ.const dense<[[[1.0, 0.0, 0.0, 0.0]]]> : tensor<1x1x4xf32> -> !circ.bc<4x4, 4, f32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %a = circ.matvec %wa, %xt : !circ.bc<4x4, 4, f32>, tensor<4xf32> -> tensor<4xf32>
    %b = circ.matvec %wb, %xt : !circ.bc<4x4, 4, f32>, tensor<4xf32> -> tensor<4xf32>
    %s = rnn.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %s : tensor<4xf32>
  }
  func.return %ys : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @gates
// CHECK-NOT:     circ.const
// CHECK:         %[[FA:.*]] = circ.freq_const dense<{{\[\[\[\[}}1.000000e+01, 0.000000e+00], [-2.000000e+00, 2.000000e+00], [-2.000000e+00, 0.000000e+00]]]]> : tensor<1x1x3x2xf32> -> !circ.fbc<4x4, 4, f32>
// CHECK-NEXT:    %[[FB:.*]] = circ.freq_const dense<{{\[\[\[\[}}1.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00]]]]> : tensor<1x1x3x2xf32> -> !circ.fbc<4x4, 4, f32>
// CHECK:         ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
// CHECK-NEXT:      %[[X:.*]] = circ.rfft %xt : tensor<4xf32> -> !circ.spectrum<1, 4, f32>
// CHECK-NEXT:      %[[MA:.*]] = circ.freq_mac %[[FA]], %[[X]] : !circ.fbc<4x4, 4, f32>, !circ.spectrum<1, 4, f32> -> !circ.spectrum<1, 4, f32>
// CHECK-NEXT:      %[[A:.*]] = circ.irfft %[[MA]] : !circ.spectrum<1, 4, f32> -> tensor<4xf32>
// CHECK-NEXT:      %[[MB:.*]] = circ.freq_mac %[[FB]], %[[X]]
// CHECK-NEXT:      %[[B:.*]] = circ.irfft %[[MB]]
// CHECK-NEXT:      %{{.*}} = rnn.add %[[A]], %[[B]]
// CHECK-NOT:       circ.rfft
// CHECK-NOT:       circ.matvec
