// RUN: ercc-opt %s -p 'fft-decompose,quantize' | filecheck %s
// RUN: ercc-opt %s -p 'fft-decompose,quantize{weight-bits=8 act-bits=12 act-int-bits=4 acc-bits=16 acc-int-bits=6 rounding=AP_RND_CONV overflow=AP_WRAP}' | filecheck %s --check-prefix=OPT

// Weights become raw integers with the fewest integer bits that hold them
// (0.375 and -0.125 in ap_fixed<16,0> are 0.375 * 2^16 = 24576 and -8192);
// the scan's initial state takes the activation format; matvec results are
// accumulators; the rfft's stages and result grow by one bit per butterfly
// stage from its input's format, frequency-domain accumulators by log2(k) bits
// from the accumulator format; everything else is an activation.
func.func @cell(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %wa = circ.const dense<[[[1.0, 2.0, 3.0, 4.0]]]> : tensor<1x1x4xf32> -> !circ.bc<4x4, 4, f32>
  %r = arith.constant dense<[[0.375, -0.125, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %b = arith.constant dense<[0.375, -0.125, 0.0, 0.0]> : tensor<4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %a = circ.matvec %wa, %xt : !circ.bc<4x4, 4, f32>, tensor<4xf32> -> tensor<4xf32>
    %rh = rnn.matvec %r, %h : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %s = rnn.add %a, %rh : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %sb = rnn.add %s, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %hn = rnn.activation <tanh> %sb : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %hn : tensor<4xf32>
  }
  func.return %ys : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @cell(%x: tensor<3x4x!fix.fixed<16, 6, AP_RND, AP_SAT>>) -> tensor<3x4x!fix.fixed<16, 6, AP_RND, AP_SAT>>
// CHECK-NEXT:    %[[WA:.*]] = circ.freq_const dense<{{\[\[\[\[}}20480, 0], [-4096, 4096], [-4096, 0]]]]> : tensor<1x1x3x2xi32> -> !circ.fbc<4x4, 4, !fix.fixed<16, 5, AP_RND, AP_SAT>>
// CHECK-NEXT:    %r = fix.const dense<{{\[\[}}24576, -8192, 0, 0], {{.*}}> : tensor<4x4xi32> -> tensor<4x4x!fix.fixed<16, 0, AP_RND, AP_SAT>>
// CHECK-NEXT:    %b = fix.const dense<[24576, -8192, 0, 0]> : tensor<4xi32> -> tensor<4x!fix.fixed<16, 0, AP_RND, AP_SAT>>
// CHECK-NEXT:    %h0 = fix.const dense<0> : tensor<4xi32> -> tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>
// CHECK:         ^bb0(%xt: tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>, %h: tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>):
// CHECK-NEXT:      circ.rfft %xt {stages = [!fix.fixed<17, 7, AP_RND, AP_SAT>], twiddle = !fix.fixed<18, 1, AP_RND, AP_SAT>} : tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>> -> !circ.spectrum<1, 4, !fix.fixed<18, 8, AP_RND, AP_SAT>>
// CHECK-NEXT:      circ.freq_mac {{.*}} -> !circ.spectrum<1, 4, !fix.fixed<26, 12, AP_RND, AP_SAT>>
// CHECK-NEXT:      circ.irfft {{.*}} {stages = [!fix.fixed<27, 13, AP_RND, AP_SAT>], twiddle = !fix.fixed<18, 1, AP_RND, AP_SAT>} : {{.*}} -> tensor<4x!fix.fixed<24, 10, AP_RND, AP_SAT>>
// CHECK-NEXT:      %rh = rnn.matvec {{.*}} -> tensor<4x!fix.fixed<24, 10, AP_RND, AP_SAT>>
// CHECK-NEXT:      %s = rnn.add {{.*}} -> tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>
// CHECK-NEXT:      %sb = rnn.add %s, %b : (tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>, tensor<4x!fix.fixed<16, 0, AP_RND, AP_SAT>>) -> tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>
// CHECK-NEXT:      %hn = rnn.activation <tanh> %sb : tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>> -> tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>
// CHECK-NOT:     f32

// OPT-LABEL: func.func @cell(%x: tensor<3x4x!fix.fixed<12, 4, AP_RND_CONV>>)
// OPT-NEXT:    circ.freq_const dense<{{\[\[\[\[}}80, 0], [-16, 16], [-16, 0]]]]> : tensor<1x1x3x2xi32> -> !circ.fbc<4x4, 4, !fix.fixed<8, 5, AP_RND_CONV>>
// OPT-NEXT:    %r = fix.const {{.*}} -> tensor<4x4x!fix.fixed<8, 0, AP_RND_CONV>>
// OPT:         circ.rfft {{.*}} -> !circ.spectrum<1, 4, !fix.fixed<14, 6, AP_RND_CONV>>
// OPT:         circ.freq_mac {{.*}} -> !circ.spectrum<1, 4, !fix.fixed<18, 8, AP_RND_CONV>>
// OPT:         circ.irfft {{.*}} -> tensor<4x!fix.fixed<16, 6, AP_RND_CONV>>
// OPT-NOT:     f32
