// RUN: ercc-opt %s -p lower-rnn-layers | filecheck %s

// An LSTM tagged with a quantization-aware model's quantizers (`ercc.quantizers`, from a
// Brevitas QuantLSTMCell) lowers to Brevitas's cell: the input quantized once before the scan,
// then per step every gate's accumulator and activation, the cell state's two products and
// their sum, the hidden state's tanh and the output go through their quantizer.
func.func @quant_lstm(%x: tensor<3x1x1xf32>) -> tensor<3x1x1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>], ercc.quantizers = {
      input = {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output = {scale = 0.015625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      cell_state = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      input_acc = {scale = 0.1 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      forget_acc = {scale = 0.2 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      cell_acc = {scale = 0.3 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output_acc = {scale = 0.4 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      input_sigmoid = {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      forget_sigmoid = {scale = 0.6 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      cell_tanh = {scale = 0.7 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output_sigmoid = {scale = 0.8 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      hidden_state_tanh = {scale = 0.9 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"}}}
      : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y : tensor<3x1x1x2xf32>
}

// CHECK-LABEL: func.func @quant_lstm
// CHECK:         %[[XS:.*]] = rnn.reshape %x : tensor<3x1x1xf32> -> tensor<3x1xf32>
// CHECK-NEXT:    %[[XQ:.*]] = fix.quant %[[XS]] {scale = 7.812500e-03 : f64, {{.*}}signed{{.*}}} : tensor<3x1xf32> -> tensor<3x1xf32>
// CHECK:         rnn.scan %[[XQ]] init
// CHECK-NEXT:    ^bb0(%[[XT:.*]]: tensor<1xf32>, %[[H:.*]]: tensor<2xf32>, %[[C:.*]]: tensor<2xf32>):
// input gate: sigmoid_q(sigmoid(acc_q(W_i x + R_i h)))
// CHECK-NEXT:      %[[WX:.*]] = rnn.matvec %{{.*}}, %[[XT]]
// CHECK-NEXT:      %[[RH:.*]] = rnn.matvec %{{.*}}, %[[H]]
// CHECK-NEXT:      %[[A:.*]] = rnn.add %[[WX]], %[[RH]]
// CHECK-NEXT:      %[[AQ:.*]] = fix.quant %[[A]] {scale = 1.000000e-01 : f64
// CHECK-NEXT:      %[[S:.*]] = rnn.activation <sigmoid> %[[AQ]]
// CHECK-NEXT:      %[[I:.*]] = fix.quant %[[S]] {scale = 5.000000e-01 : f64
// forget (scale 0.2 / 0.6), cell (0.3 / 0.7), output (0.4 / 0.8) gates likewise
// CHECK:           fix.quant %{{.*}} {scale = 2.000000e-01 : f64
// CHECK:           %[[F:.*]] = fix.quant %{{.*}} {scale = 6.000000e-01 : f64
// CHECK:           fix.quant %{{.*}} {scale = 3.000000e-01 : f64
// CHECK:           %[[G:.*]] = fix.quant %{{.*}} {scale = 7.000000e-01 : f64
// CHECK:           fix.quant %{{.*}} {scale = 4.000000e-01 : f64
// CHECK:           %[[O:.*]] = fix.quant %{{.*}} {scale = 8.000000e-01 : f64
// c' = cs_q(cs_q(f * c) + cs_q(i * g)), h' = out_q(o * tanh_q(tanh(c')))
// CHECK-NEXT:      %[[FC:.*]] = rnn.mul %[[F]], %[[C]]
// CHECK-NEXT:      %[[FCQ:.*]] = fix.quant %[[FC]] {scale = 3.125000e-02 : f64
// CHECK-NEXT:      %[[IG:.*]] = rnn.mul %[[I]], %[[G]]
// CHECK-NEXT:      %[[IGQ:.*]] = fix.quant %[[IG]] {scale = 3.125000e-02 : f64
// CHECK-NEXT:      %[[CS:.*]] = rnn.add %[[FCQ]], %[[IGQ]]
// CHECK-NEXT:      %[[CN:.*]] = fix.quant %[[CS]] {scale = 3.125000e-02 : f64
// CHECK-NEXT:      %[[T:.*]] = rnn.activation <tanh> %[[CN]]
// CHECK-NEXT:      %[[TQ:.*]] = fix.quant %[[T]] {scale = 9.000000e-01 : f64
// CHECK-NEXT:      %[[HO:.*]] = rnn.mul %[[O]], %[[TQ]]
// CHECK-NEXT:      %[[HN:.*]] = fix.quant %[[HO]] {scale = 1.562500e-02 : f64
// CHECK-NEXT:      rnn.yield %[[HN]], %[[CN]]
