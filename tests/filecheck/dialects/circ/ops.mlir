// RUN: ercc-opt %s | ercc-opt | filecheck %s
// RUN: %roundtrip | filecheck %s

// CHECK-LABEL: func.func @time_domain
func.func @time_domain(%x: tensor<12xf32>) -> tensor<10xf32> {
  // CHECK: %w = circ.const dense<5.000000e-01> : tensor<3x3x4xf32> -> !circ.bc<10x12, 4, f32>
  %w = circ.const dense<0.5> : tensor<3x3x4xf32> -> !circ.bc<10x12, 4, f32>
  // CHECK-NEXT: %y = circ.matvec %w, %x : !circ.bc<10x12, 4, f32>, tensor<12xf32> -> tensor<10xf32>
  %y = circ.matvec %w, %x : !circ.bc<10x12, 4, f32>, tensor<12xf32> -> tensor<10xf32>
  func.return %y : tensor<10xf32>
}

// CHECK-LABEL: func.func @frequency_domain
func.func @frequency_domain(%x: tensor<12xf32>) -> tensor<10xf32> {
  // CHECK: %wf = circ.freq_const dense<5.000000e-01> : tensor<3x3x3x2xf32> -> !circ.fbc<10x12, 4, f32>
  %wf = circ.freq_const dense<0.5> : tensor<3x3x3x2xf32> -> !circ.fbc<10x12, 4, f32>
  // CHECK-NEXT: %s = circ.rfft %x : tensor<12xf32> -> !circ.spectrum<3, 4, f32>
  %s = circ.rfft %x : tensor<12xf32> -> !circ.spectrum<3, 4, f32>
  // CHECK-NEXT: %m = circ.freq_mac %wf, %s : !circ.fbc<10x12, 4, f32>, !circ.spectrum<3, 4, f32> -> !circ.spectrum<3, 4, f32>
  %m = circ.freq_mac %wf, %s : !circ.fbc<10x12, 4, f32>, !circ.spectrum<3, 4, f32> -> !circ.spectrum<3, 4, f32>
  // CHECK-NEXT: %z = circ.irfft %m : !circ.spectrum<3, 4, f32> -> tensor<10xf32>
  %z = circ.irfft %m : !circ.spectrum<3, 4, f32> -> tensor<10xf32>
  func.return %z : tensor<10xf32>
}

// Fixed point: the FFTs carry their butterfly-stage formats and twiddle format.
// CHECK-LABEL: func.func @fixed_fft
func.func @fixed_fft(%x: tensor<8x!fix.fixed<16, 6>>) -> tensor<8x!fix.fixed<24, 10>> {
  // CHECK: %s = circ.rfft %x {stages = [!fix.fixed<17, 7>, !fix.fixed<18, 8>], twiddle = !fix.fixed<18, 1>} : tensor<8x!fix.fixed<16, 6>> -> !circ.spectrum<1, 8, !fix.fixed<19, 9>>
  %s = circ.rfft %x {stages = [!fix.fixed<17, 7>, !fix.fixed<18, 8>], twiddle = !fix.fixed<18, 1>} : tensor<8x!fix.fixed<16, 6>> -> !circ.spectrum<1, 8, !fix.fixed<19, 9>>
  // CHECK-NEXT: %y = circ.irfft %s {stages = [!fix.fixed<20, 10>, !fix.fixed<21, 11>], twiddle = !fix.fixed<18, 1>} : !circ.spectrum<1, 8, !fix.fixed<19, 9>> -> tensor<8x!fix.fixed<24, 10>>
  %y = circ.irfft %s {stages = [!fix.fixed<20, 10>, !fix.fixed<21, 11>], twiddle = !fix.fixed<18, 1>} : !circ.spectrum<1, 8, !fix.fixed<19, 9>> -> tensor<8x!fix.fixed<24, 10>>
  func.return %y : tensor<8x!fix.fixed<24, 10>>
}
