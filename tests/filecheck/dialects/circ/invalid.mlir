// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @vectors_shape() {
  %w = circ.const dense<0.5> : tensor<3x2x4xf32> -> !circ.bc<10x12, 4, f32>
  func.return
}
// CHECK: defining vectors of !circ.bc<10x12, 4, f32> must have shape [3, 3, 4], got [3, 2, 4]

// -----

func.func @block_not_power_of_two() {
  %w = circ.const dense<0.5> : tensor<4x4x3xf32> -> !circ.bc<12x12, 3, f32>
  func.return
}
// CHECK: block size must be a power of two, got 3

// -----

func.func @spectra_shape() {
  %wf = circ.freq_const dense<0.5> : tensor<3x3x4x2xf32> -> !circ.fbc<10x12, 4, f32>
  func.return
}
// CHECK: spectra of !circ.fbc<10x12, 4, f32> must have shape [3, 3, 3, 2], got [3, 3, 4, 2]

// -----

func.func @matvec_dims(%x: tensor<8xf32>) {
  %w = circ.const dense<0.5> : tensor<3x3x4xf32> -> !circ.bc<10x12, 4, f32>
  %y = circ.matvec %w, %x : !circ.bc<10x12, 4, f32>, tensor<8xf32> -> tensor<10xf32>
  func.return
}
// CHECK: !circ.bc<10x12, 4, f32> maps 12 to 10 elements, got 8 to 10

// -----

func.func @rfft_blocks(%x: tensor<12xf32>) {
  %s = circ.rfft %x : tensor<12xf32> -> !circ.spectrum<4, 4, f32>
  func.return
}
// CHECK: 12 elements make 3 blocks of 4, not 4

// -----

func.func @mac_input(%s: !circ.spectrum<2, 4, f32>) {
  %wf = circ.freq_const dense<0.5> : tensor<3x3x3x2xf32> -> !circ.fbc<10x12, 4, f32>
  %m = circ.freq_mac %wf, %s : !circ.fbc<10x12, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<3, 4, f32>
  func.return
}
// CHECK: !circ.fbc<10x12, 4, f32> needs an input spectrum of 3 blocks of 4, got !circ.spectrum<2, 4, f32>

// -----

func.func @irfft_crop(%s: !circ.spectrum<3, 4, f32>) {
  %z = circ.irfft %s : !circ.spectrum<3, 4, f32> -> tensor<5xf32>
  func.return
}
// CHECK: 3 blocks of 4 crop to 9..12 elements, not 5

// -----

func.func @fft_stage_count(%x: tensor<8x!fix.fixed<16, 6>>) {
  %s = circ.rfft %x {stages = [!fix.fixed<17, 7>], twiddle = !fix.fixed<18, 1>} : tensor<8x!fix.fixed<16, 6>> -> !circ.spectrum<1, 8, !fix.fixed<19, 9>>
  func.return
}
// CHECK: a length-8 FFT has 3 butterfly stages: 'stages' needs 2 formats (the last stage writes the result), got 1

// -----

func.func @fft_formats_together(%x: tensor<8x!fix.fixed<16, 6>>) {
  %s = circ.rfft %x {twiddle = !fix.fixed<18, 1>} : tensor<8x!fix.fixed<16, 6>> -> !circ.spectrum<1, 8, !fix.fixed<19, 9>>
  func.return
}
// CHECK: 'stages' and 'twiddle' must be given together
