// RUN: ercc-opt %s -p fuse-gate-macs | filecheck %s

// Two gates multiply the same spectrum: their weights are stacked block row by
// block row (2 + 2 block rows of 4), one MAC and one inverse FFT serve both,
// and each gate's 6 rows are sliced out at offsets 0 and 8 (its padded rows).
func.func @gates(%x: tensor<8xf32>) -> (tensor<6xf32>, tensor<6xf32>) {
  %wa = circ.freq_const dense<1.0> : tensor<2x2x3x2xf32> -> !circ.fbc<6x8, 4, f32>
  %wb = circ.freq_const dense<2.0> : tensor<2x2x3x2xf32> -> !circ.fbc<6x8, 4, f32>
  %s = circ.rfft %x : tensor<8xf32> -> !circ.spectrum<2, 4, f32>
  %ma = circ.freq_mac %wa, %s : !circ.fbc<6x8, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<2, 4, f32>
  %ya = circ.irfft %ma : !circ.spectrum<2, 4, f32> -> tensor<6xf32>
  %mb = circ.freq_mac %wb, %s : !circ.fbc<6x8, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<2, 4, f32>
  %yb = circ.irfft %mb : !circ.spectrum<2, 4, f32> -> tensor<6xf32>
  func.return %ya, %yb : tensor<6xf32>, tensor<6xf32>
}

// CHECK-LABEL: func.func @gates
// CHECK:         %[[W:.*]] = circ.freq_const {ercc.gate_rows = array<i64: 6, 6>} dense<{{.*}}> : tensor<4x2x3x2xf32> -> !circ.fbc<16x8, 4, f32>
// CHECK-NEXT:    %s = circ.rfft %x
// CHECK-NEXT:    %[[M:.*]] = circ.freq_mac %[[W]], %s : !circ.fbc<16x8, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<4, 4, f32>
// CHECK-NEXT:    %[[Y:.*]] = circ.irfft %[[M]] : !circ.spectrum<4, 4, f32> -> tensor<16xf32>
// CHECK-NEXT:    %ya = rnn.slice %[[Y]] offsets [0] strides [1] : tensor<16xf32> -> tensor<6xf32>
// CHECK-NEXT:    %yb = rnn.slice %[[Y]] offsets [8] strides [1] : tensor<16xf32> -> tensor<6xf32>
// CHECK-NOT:     circ.freq_mac
// CHECK:         func.return %ya, %yb

// Products of different spectra stay apart.
func.func @apart(%x: tensor<8xf32>, %h: tensor<8xf32>) -> (tensor<6xf32>, tensor<6xf32>) {
  %wa = circ.freq_const dense<1.0> : tensor<2x2x3x2xf32> -> !circ.fbc<6x8, 4, f32>
  %wb = circ.freq_const dense<2.0> : tensor<2x2x3x2xf32> -> !circ.fbc<6x8, 4, f32>
  %s = circ.rfft %x : tensor<8xf32> -> !circ.spectrum<2, 4, f32>
  %t = circ.rfft %h : tensor<8xf32> -> !circ.spectrum<2, 4, f32>
  %ma = circ.freq_mac %wa, %s : !circ.fbc<6x8, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<2, 4, f32>
  %ya = circ.irfft %ma : !circ.spectrum<2, 4, f32> -> tensor<6xf32>
  %mb = circ.freq_mac %wb, %t : !circ.fbc<6x8, 4, f32>, !circ.spectrum<2, 4, f32> -> !circ.spectrum<2, 4, f32>
  %yb = circ.irfft %mb : !circ.spectrum<2, 4, f32> -> tensor<6xf32>
  func.return %ya, %yb : tensor<6xf32>, tensor<6xf32>
}

// CHECK-LABEL: func.func @apart
// CHECK-COUNT-2: circ.freq_mac
// CHECK-NOT:     rnn.slice
