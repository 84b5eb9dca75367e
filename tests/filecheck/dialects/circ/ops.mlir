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
