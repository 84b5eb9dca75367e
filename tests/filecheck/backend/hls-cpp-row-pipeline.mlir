// RUN: ercc-opt %s -p 'hoist-input-path,pe-schedule' -t hls-cpp | filecheck %s

// The simple RNN of transforms/pe-schedule-row-pipeline.mlir, printed: each
// row pipeline is one loop over (p + G)·groups iterations (here 2 block rows,
// one gate, one column group: 3). A row's last column group runs the inverse
// FFT into the gate buffer; the tail of hidden block hb - 1 (the bias add and
// tanh for the scan) runs during block hb, from a copy of the gate buffer; the
// scan's state is written in place, and its hidden block hb - 1 transformed
// into the next step's half of the spectrum buffer (the FFT before the loop
// runs at t == 0 only).
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

// CHECK:       // circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline
// CHECK:       for (int i = 0; i < 3; i++) {
// CHECK-NEXT:    #pragma HLS pipeline II=1
// CHECK-NEXT:    const int hb = i / 1;
// CHECK-NEXT:    const int gt = (i / 1) % 1;
// CHECK-NEXT:    const int r = gt * 2 + hb;
// CHECK:         if (i < 2) {
// CHECK:           ercc_irfft4_{{[0-9]+}}(spec, blk);
// CHECK:             gbuf[gt][m] = blk[m];
// CHECK:         if (i >= 1) {
// CHECK:             const int n = (hb - 1) * 4 + lane;
// CHECK:         if (i % 1 == 0) {
// CHECK:             ebuf[gi][m] = gbuf[gi][m];
// CHECK:       // circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline
// CHECK:           const int xb = (t & 1) * 12 + b * 6;
// CHECK:             e_{{[0-9_]+}} = std::tanh(v);
// CHECK:             v_{{[0-9]+}}[n] = e_{{[0-9_]+}};
// CHECK:         if (i >= 1 && i % 1 == 0) {
// CHECK:           ercc_rfft4_{{[0-9]+}}(fblk, fspec);
// CHECK:             v_{{[0-9]+}}[((t + 1) & 1) * 12 + (hb - 1) * 6 + j] = fspec[j];
