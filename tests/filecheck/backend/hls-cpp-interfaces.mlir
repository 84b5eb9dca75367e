// The top function of each --interface: signature, INTERFACE pragmas, and the wrapper around the datapath.
// RUN: ercc-opt %s -t hls-cpp | filecheck %s --check-prefix=ARRAY
// RUN: ercc-opt %s -t 'hls-cpp{interface=axis batch=4}' | filecheck %s --check-prefix=AXIS
// RUN: ercc-opt %s -t 'hls-cpp{interface=m_axi batch=4}' | filecheck %s --check-prefix=MAXI

func.func @ercc_kernel(%x: tensor<3x4xf32>) -> tensor<3x4xf32> attributes {ercc.input_names = ["x"], ercc.output_names = ["y"]} {
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %a = rnn.add %xt, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %t = rnn.activation <tanh> %a : tensor<4xf32> -> tensor<4xf32>
    rnn.yield %t : tensor<4xf32>
  }
  func.return %ys : tensor<3x4xf32>
}

// array: the datapath is the top, its arrays are ap_memory ports, block-level handshake.
// ARRAY:       // Top function: ercc_kernel (--interface array)
// ARRAY-NOT:   hls_stream.h
// ARRAY:       {{^}}void ercc_kernel(
// ARRAY-NEXT:      const data_t x[12],  // x: [3, 4]
// ARRAY-NEXT:      data_t y[12]  // y: [3, 4]
// ARRAY-NEXT:  ) {
// ARRAY-NEXT:    #pragma HLS INTERFACE ap_memory port=x
// ARRAY-NEXT:    #pragma HLS INTERFACE ap_memory port=y
// ARRAY-NEXT:    #pragma HLS INTERFACE ap_ctrl_hs port=return
// ARRAY-NOT:   _datapath

// axis: AXI-stream beats (ap_axiu with Vitis's header, else a struct with its members), s_axilite control
// and a count port; a frame of 4 floats is one 128-bit beat; TLAST on the last beat of a sequence.
// AXIS:        #include <ap_int.h>
// AXIS-NEXT:   #include <hls_stream.h>
// AXIS:        #if __has_include(<ap_axi_sdata.h>)
// AXIS-NEXT:   #include <ap_axi_sdata.h>
// AXIS-NEXT:   typedef ap_axiu<128, 0, 0, 0> ercc_axis128_t;
// AXIS-NEXT:   #else
// AXIS-NEXT:   struct ercc_axis128_t { ap_uint<128> data; ap_uint<16> keep; ap_uint<16> strb; ap_uint<1> last; };
// AXIS-NEXT:   #endif
// AXIS:        static void ercc_kernel_datapath(
// AXIS-NEXT:       const data_t x[12],  // x: [3, 4]
// AXIS:        {{^}}void ercc_kernel(
// AXIS-NEXT:       hls::stream<ercc_axis128_t>& x,  // x: [3, 4] as 3 beats of 128 bits (4 x 32-bit elements)
// AXIS-NEXT:       hls::stream<ercc_axis128_t>& y,  // y: [3, 4] as 3 beats of 128 bits (4 x 32-bit elements)
// AXIS-NEXT:       int count  // sequences in this call
// AXIS-NEXT:   ) {
// AXIS-NEXT:     #pragma HLS INTERFACE axis port=x
// AXIS-NEXT:     #pragma HLS INTERFACE axis port=y
// AXIS-NEXT:     #pragma HLS INTERFACE s_axilite port=count
// AXIS-NEXT:     #pragma HLS INTERFACE s_axilite port=return
// AXIS:          axis_seq: for (int s = 0; s < count; s++) {
// AXIS-NEXT:       #pragma HLS loop_tripcount min=1 max=4
// AXIS:              const ercc_axis128_t beat = x.read();
// AXIS:                if (b * 4 + e < 4) buf_x[j] = ercc_float_of(beat.data.range(e * 32 + 31, e * 32));
// AXIS:            ercc_kernel_datapath(buf_x, buf_y);
// AXIS:              beat.last = (f == 2 && b == 0) ? 1 : 0;
// AXIS:              y.write(beat);

// m_axi: an extern "C" Vitis kernel, one bundle per port, pointers/count/return on s_axilite, burst loops.
// MAXI-NOT:    hls_stream.h
// MAXI:        static void ercc_kernel_datapath(
// MAXI:        extern "C" void ercc_kernel(
// MAXI-NEXT:       const data_t* x,  // x: 12 elements a sequence
// MAXI-NEXT:       data_t* y,  // y: 12 elements a sequence
// MAXI-NEXT:       int count  // sequences in this call
// MAXI-NEXT:   ) {
// MAXI-NEXT:     #pragma HLS INTERFACE m_axi port=x offset=slave bundle=gmem0 depth=48
// MAXI-NEXT:     #pragma HLS INTERFACE m_axi port=y offset=slave bundle=gmem1 depth=48
// MAXI-NEXT:     #pragma HLS INTERFACE s_axilite port=x
// MAXI-NEXT:     #pragma HLS INTERFACE s_axilite port=y
// MAXI-NEXT:     #pragma HLS INTERFACE s_axilite port=count
// MAXI-NEXT:     #pragma HLS INTERFACE s_axilite port=return
// MAXI:          m_axi_seq: for (int s = 0; s < count; s++) {
// MAXI-NEXT:       #pragma HLS loop_tripcount min=1 max=4
// MAXI-NEXT:       m_axi_load_x: for (int j = 0; j < 12; j++) {
// MAXI-NEXT:         #pragma HLS pipeline II=1
// MAXI-NEXT:         buf_x[j] = x[s * 12 + j];
// MAXI:            ercc_kernel_datapath(buf_x, buf_y);
// MAXI-NEXT:       m_axi_store_y: for (int j = 0; j < 12; j++) {
// MAXI-NEXT:         #pragma HLS pipeline II=1
// MAXI-NEXT:         y[s * 12 + j] = buf_y[j];
