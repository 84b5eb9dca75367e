// RUN: ercc-opt %s -t hls-cpp | filecheck %s

func.func @ercc_kernel(%x: tensor<3x4xf32>) -> tensor<3x4xf32> attributes {ercc.input_names = ["x"], ercc.output_names = ["y"]} {
  %w = arith.constant {sched.partition = #sched.partition<cyclic, 4>} dense<[[1.0, 2.0, 3.0, 4.0], [0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) {sched.loop = #sched.loop<ii = 1, unroll = 1>} : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %m = rnn.matvec %w, %xt {sched.loop = #sched.loop<ii = 1, unroll = 2>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %a = rnn.add %m, %h {sched.loop = #sched.loop<ii = 1, unroll = 1>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %t = rnn.activation <tanh> %a {sched.loop = #sched.loop<ii = 1, unroll = 1>} : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %t : tensor<4xf32>
  }
  func.return %ys : tensor<3x4xf32>
}

// CHECK:       typedef float data_t;
// The tables come first (the weights header, in place of its #include in one stream).
// CHECK:       static const float c_w[16] = {
// CHECK-NEXT:      1.0f, 2.0f, 3.0f, 4.0f, 0.5f, 0.0f, 0.0f, 0.0f,
// CHECK:       void ercc_kernel(
// CHECK-NEXT:      const data_t x[12],  // x: [3, 4]
// CHECK-NEXT:      data_t y[12]  // y: [3, 4]
// CHECK-NEXT:  ) {
// CHECK-NEXT:    #pragma HLS INTERFACE ap_memory port=x
// CHECK-NEXT:    #pragma HLS INTERFACE ap_memory port=y
// CHECK-NEXT:    #pragma HLS INTERFACE ap_ctrl_hs port=return
// CHECK-NEXT:    #pragma HLS array_partition variable=c_w cyclic factor=4 dim=1
// The recurrence: states initialised once, a time loop with a static bound,
// not pipelined (only its per-step copy loops are).
// CHECK:         scan{{[0-9]+}}_t: for (int t = 0; t < 3; t++) {
// CHECK-NEXT:      data_t v_xt[4];
// CHECK-NEXT:      scan{{[0-9]+}}_i0_1: for (int i0 = 0; i0 < 4; i0++) {
// CHECK-NEXT:        #pragma HLS pipeline II=1
// The pipeline goes on the innermost loop, partially unrolled (pipelining an
// outer loop would fully unroll the inner one whatever the factor).
// CHECK:           matvec{{[0-9]+}}_r: for (int r = 0; r < 4; r++) {
// CHECK-NEXT:        data_t acc = 0.0f;
// CHECK-NEXT:        matvec{{[0-9]+}}_k: for (int k = 0; k < 4; k++) {
// CHECK-NEXT:          #pragma HLS unroll factor=2
// CHECK-NEXT:          #pragma HLS pipeline II=1
// CHECK-NEXT:          acc += c_w[r * 4 + k] * v_xt[k];
// CHECK:           v_a[i0] = v_m[i0] + v_h[i0];
// CHECK:           v_t[i0] = std::tanh(v);
// The returned rows go straight into the output port: no copy at the end.
// CHECK:           y[t * 4 + i0] = v_h[i0];
// CHECK-NOT:       y[i0] =
// CHECK:       }
