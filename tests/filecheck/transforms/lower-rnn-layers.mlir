// RUN: ercc-opt %s --split-input-file -p lower-rnn-layers | filecheck %s

// One forward LSTM, H = 2, I = 1: W holds 1..8 so each gate's slice is visible
// (ONNX gate order i, o, f, c); the two bias halves are summed per gate.
func.func @forward(%x: tensor<3x1x1xf32>) -> (tensor<3x1x1x2xf32>, tensor<1x1x2xf32>) {
  %w = arith.constant dense<[[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0]]]> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %b = arith.constant dense<[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<1x16xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<1x16xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y, %yh : tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
}

// CHECK-LABEL: func.func @forward
// CHECK-NOT:     rnn.lstm
// CHECK:         %[[XS:.*]] = rnn.reshape %x : tensor<3x1x1xf32> -> tensor<3x1xf32>
// CHECK-NEXT:    %[[BI:.*]] = arith.constant dense<1.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[BO:.*]] = arith.constant dense<2.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[BF:.*]] = arith.constant dense<3.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[BC:.*]] = arith.constant dense<4.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[WI:.*]] = arith.constant dense<[[1.000000e+00], [2.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[WO:.*]] = arith.constant dense<[[3.000000e+00], [4.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[WF:.*]] = arith.constant dense<[[5.000000e+00], [6.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[WC:.*]] = arith.constant dense<[[7.000000e+00], [8.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[RI:.*]] = arith.constant dense<5.000000e-01> : tensor<2x2xf32>
// CHECK:         %[[H0:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[C0:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[YS:.*]], %[[HT:.*]], %{{.*}} = rnn.scan %[[XS]] init(%[[H0]], %[[C0]]) : (tensor<3x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) {
// CHECK-NEXT:    ^bb0(%[[XT:.*]]: tensor<1xf32>, %[[H:.*]]: tensor<2xf32>, %[[C:.*]]: tensor<2xf32>):
// input gate: sigmoid(W_i x + R_i h + b_i)
// CHECK-NEXT:      %[[XI:.*]] = rnn.matvec %[[WI]], %[[XT]] : (tensor<2x1xf32>, tensor<1xf32>) -> tensor<2xf32>
// CHECK-NEXT:      %[[HI:.*]] = rnn.matvec %[[RI]], %[[H]] : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT:      %[[AI:.*]] = rnn.add %[[XI]], %[[HI]]
// CHECK-NEXT:      %[[AIB:.*]] = rnn.add %[[AI]], %[[BI]]
// CHECK-NEXT:      %[[I:.*]] = rnn.activation <sigmoid> %[[AIB]]
// forget gate reads W_f, then the candidate reads W_c through tanh
// CHECK-NEXT:      rnn.matvec %[[WF]], %[[XT]]
// CHECK:           %[[F:.*]] = rnn.activation <sigmoid>
// CHECK-NEXT:      rnn.matvec %[[WC]], %[[XT]]
// CHECK:           %[[G:.*]] = rnn.activation <tanh>
// c' = f * c + i * g
// CHECK-NEXT:      %[[FC:.*]] = rnn.mul %[[F]], %[[C]]
// CHECK-NEXT:      %[[IG:.*]] = rnn.mul %[[I]], %[[G]]
// CHECK-NEXT:      %[[CN:.*]] = rnn.add %[[FC]], %[[IG]]
// h' = sigmoid(output gate) * tanh(c')
// CHECK-NEXT:      rnn.matvec %[[WO]], %[[XT]]
// CHECK:           %[[O:.*]] = rnn.activation <sigmoid>
// CHECK-NEXT:      %[[TC:.*]] = rnn.activation <tanh> %[[CN]]
// CHECK-NEXT:      %[[HN:.*]] = rnn.mul %[[O]], %[[TC]]
// CHECK-NEXT:      rnn.yield %[[HN]], %[[CN]] : tensor<2xf32>, tensor<2xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[Y:.*]] = rnn.reshape %[[YS]] : tensor<3x2xf32> -> tensor<3x1x1x2xf32>
// CHECK-NEXT:    %[[YH:.*]] = rnn.reshape %[[HT]] : tensor<2xf32> -> tensor<1x1x2xf32>
// CHECK-NEXT:    func.return %[[Y]], %[[YH]]

// -----

// Bidirectional with initial state: the second direction runs in reverse,
// states come from slices of initial_h, outputs are concatenated per direction.
func.func @bidirectional(%x: tensor<3x1x1xf32>, %h0: tensor<2x1x2xf32>) -> tensor<3x2x1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<2x8x2xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r initial_h(%h0 : tensor<2x1x2xf32>) {hidden_size = 2 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>, #rnn.act<hard_sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<3x1x1xf32>, tensor<2x8x1xf32>, tensor<2x8x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>, tensor<2x1x2xf32>
  func.return %y : tensor<3x2x1x2xf32>
}

// CHECK-LABEL: func.func @bidirectional
// CHECK:         rnn.slice %h0 offsets [0, 0, 0] strides [1, 1, 1] : tensor<2x1x2xf32> -> tensor<1x1x2xf32>
// CHECK:         %[[F:.*]], %{{.*}}, %{{.*}} = rnn.scan %{{.*}} init
// CHECK:           rnn.activation <sigmoid>
// CHECK:         rnn.slice %h0 offsets [1, 0, 0] strides [1, 1, 1] : tensor<2x1x2xf32> -> tensor<1x1x2xf32>
// CHECK:         %[[B:.*]], %{{.*}}, %{{.*}} = rnn.scan reverse %{{.*}} init
// CHECK:           rnn.activation <hard_sigmoid, 0.2, 0.5>
// CHECK:         %[[RF:.*]] = rnn.reshape %[[F]] : tensor<3x2xf32> -> tensor<3x1x1x2xf32>
// CHECK-NEXT:    %[[RB:.*]] = rnn.reshape %[[B]] : tensor<3x2xf32> -> tensor<3x1x1x2xf32>
// CHECK-NEXT:    %[[Y:.*]] = rnn.concat %[[RF]], %[[RB]] {axis = 1 : i64} : (tensor<3x1x1x2xf32>, tensor<3x1x1x2xf32>) -> tensor<3x2x1x2xf32>
// CHECK:         func.return %[[Y]]

// -----

// GRU, H = 2, I = 1, linear_before_reset = 0 (ONNX gate order z, r, h):
// the candidate's recurrent matvec reads r * h, and both biases of every gate,
// h included, are summed (z: 1 + 0.5, r: 2 + 0.5, h: 3 + 0.25).
func.func @gru(%x: tensor<3x1x1xf32>) -> (tensor<3x1x1x2xf32>, tensor<1x1x2xf32>) {
  %w = arith.constant dense<[[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]]]> : tensor<1x6x1xf32>
  %r = arith.constant dense<[[[0.125, 0.125], [0.125, 0.125], [0.25, 0.25], [0.25, 0.25], [0.375, 0.375], [0.375, 0.375]]]> : tensor<1x6x2xf32>
  %b = arith.constant dense<[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]]> : tensor<1x12xf32>
  %y, %yh = rnn.gru %x, %w, %r bias(%b : tensor<1x12xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<3x1x1xf32>, tensor<1x6x1xf32>, tensor<1x6x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y, %yh : tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
}

// CHECK-LABEL: func.func @gru
// CHECK-NOT:     rnn.gru
// CHECK:         %[[BZ:.*]] = arith.constant dense<1.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[BR:.*]] = arith.constant dense<2.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[BH:.*]] = arith.constant dense<3.250000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[WZ:.*]] = arith.constant dense<[[1.000000e+00], [2.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[WR:.*]] = arith.constant dense<[[3.000000e+00], [4.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[WH:.*]] = arith.constant dense<[[5.000000e+00], [6.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[RZ:.*]] = arith.constant dense<1.250000e-01> : tensor<2x2xf32>
// CHECK-NEXT:    %[[RR:.*]] = arith.constant dense<2.500000e-01> : tensor<2x2xf32>
// CHECK-NEXT:    %[[RH:.*]] = arith.constant dense<3.750000e-01> : tensor<2x2xf32>
// CHECK-NEXT:    %[[H0:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    %{{.*}}, %{{.*}} = rnn.scan %{{.*}} init(%[[H0]]) : (tensor<3x1xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>) {
// CHECK-NEXT:    ^bb0(%[[XT:.*]]: tensor<1xf32>, %[[H:.*]]: tensor<2xf32>):
// z = sigmoid(W_z x + R_z h + b_z)
// CHECK-NEXT:      %[[XZ:.*]] = rnn.matvec %[[WZ]], %[[XT]]
// CHECK-NEXT:      %[[HZ:.*]] = rnn.matvec %[[RZ]], %[[H]]
// CHECK-NEXT:      %[[AZ:.*]] = rnn.add %[[XZ]], %[[HZ]]
// CHECK-NEXT:      %[[AZB:.*]] = rnn.add %[[AZ]], %[[BZ]]
// CHECK-NEXT:      %[[Z:.*]] = rnn.activation <sigmoid> %[[AZB]]
// r = sigmoid(W_r x + R_r h + b_r)
// CHECK-NEXT:      rnn.matvec %[[WR]], %[[XT]]
// CHECK-NEXT:      rnn.matvec %[[RR]], %[[H]]
// CHECK-NEXT:      rnn.add
// CHECK-NEXT:      %[[ARB:.*]] = rnn.add %{{.*}}, %[[BR]]
// CHECK-NEXT:      %[[R:.*]] = rnn.activation <sigmoid> %[[ARB]]
// h~ = tanh(W_h x + R_h (r * h) + b_h)
// CHECK-NEXT:      %[[XH:.*]] = rnn.matvec %[[WH]], %[[XT]]
// CHECK-NEXT:      %[[RHH:.*]] = rnn.mul %[[R]], %[[H]]
// CHECK-NEXT:      %[[HH:.*]] = rnn.matvec %[[RH]], %[[RHH]]
// CHECK-NEXT:      %[[AH:.*]] = rnn.add %[[XH]], %[[HH]]
// CHECK-NEXT:      %[[AHB:.*]] = rnn.add %[[AH]], %[[BH]]
// CHECK-NEXT:      %[[CAND:.*]] = rnn.activation <tanh> %[[AHB]]
// h' = (1 - z) * h~ + z * h
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-NEXT:      %[[NZ:.*]] = rnn.sub %[[ONE]], %[[Z]]
// CHECK-NEXT:      %[[KEEP:.*]] = rnn.mul %[[NZ]], %[[CAND]]
// CHECK-NEXT:      %[[ZH:.*]] = rnn.mul %[[Z]], %[[H]]
// CHECK-NEXT:      %[[HN:.*]] = rnn.add %[[KEEP]], %[[ZH]]
// CHECK-NEXT:      rnn.yield %[[HN]] : tensor<2xf32>
// CHECK-NEXT:    }

// -----

// GRU with linear_before_reset: h~ = tanh(W_h x + r * (R_h h + Rb_h) + Wb_h).
// Rb_h (0.25) stays inside the reset product; only Wb_h (3.0) is added outside.
func.func @gru_linear_before_reset(%x: tensor<3x1x1xf32>) -> tensor<1x1x2xf32> {
  %w = arith.constant dense<[[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0]]]> : tensor<1x6x1xf32>
  %r = arith.constant dense<[[[0.125, 0.125], [0.125, 0.125], [0.25, 0.25], [0.25, 0.25], [0.375, 0.375], [0.375, 0.375]]]> : tensor<1x6x2xf32>
  %b = arith.constant dense<[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]]> : tensor<1x12xf32>
  %y, %yh = rnn.gru %x, %w, %r bias(%b : tensor<1x12xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>], linear_before_reset} : tensor<3x1x1xf32>, tensor<1x6x1xf32>, tensor<1x6x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
  func.return %yh : tensor<1x1x2xf32>
}

// CHECK-LABEL: func.func @gru_linear_before_reset
// CHECK-NOT:     dense<3.250000e+00>
// CHECK:         %[[WH:.*]] = arith.constant dense<[[5.000000e+00], [6.000000e+00]]> : tensor<2x1xf32>
// CHECK:         %[[RH:.*]] = arith.constant dense<3.750000e-01> : tensor<2x2xf32>
// CHECK:         %[[WBH:.*]] = arith.constant dense<3.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[RBH:.*]] = arith.constant dense<2.500000e-01> : tensor<2xf32>
// CHECK-NEXT:    rnn.scan
// CHECK-NEXT:    ^bb0(%[[XT:.*]]: tensor<1xf32>, %[[H:.*]]: tensor<2xf32>):
// CHECK:           %[[Z:.*]] = rnn.activation <sigmoid>
// CHECK:           %[[R:.*]] = rnn.activation <sigmoid>
// CHECK-NEXT:      %[[XH:.*]] = rnn.matvec %[[WH]], %[[XT]]
// CHECK-NEXT:      %[[HH:.*]] = rnn.matvec %[[RH]], %[[H]]
// CHECK-NEXT:      %[[HHB:.*]] = rnn.add %[[HH]], %[[RBH]]
// CHECK-NEXT:      %[[RHH:.*]] = rnn.mul %[[R]], %[[HHB]]
// CHECK-NEXT:      %[[AH:.*]] = rnn.add %[[XH]], %[[RHH]]
// CHECK-NEXT:      %[[AHB:.*]] = rnn.add %[[AH]], %[[WBH]]
// CHECK-NEXT:      rnn.activation <tanh> %[[AHB]]

// -----

// Elman RNN, bidirectional, with clip: h' = f(clamp(W x + R h + b)), one
// activation per direction, second direction reversed.
func.func @elman(%x: tensor<3x1x1xf32>) -> (tensor<3x2x1x2xf32>, tensor<2x1x2xf32>) {
  %w = arith.constant dense<[[[1.0], [2.0]], [[3.0], [4.0]]]> : tensor<2x2x1xf32>
  %r = arith.constant dense<0.5> : tensor<2x2x2xf32>
  %b = arith.constant dense<[[1.0, 1.0, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %y, %yh = rnn.rnn %x, %w, %r bias(%b : tensor<2x4xf32>) {hidden_size = 2 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<tanh>, #rnn.act<relu>], clip = 2.0 : f32} : tensor<3x1x1xf32>, tensor<2x2x1xf32>, tensor<2x2x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
  func.return %y, %yh : tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
}

// CHECK-LABEL: func.func @elman
// CHECK-NOT:     rnn.rnn
// CHECK:         %[[B:.*]] = arith.constant dense<1.500000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[W:.*]] = arith.constant dense<[[1.000000e+00], [2.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:    %[[R:.*]] = arith.constant dense<5.000000e-01> : tensor<2x2xf32>
// CHECK-NEXT:    %[[H0:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[YF:.*]], %[[HF:.*]] = rnn.scan %{{.*}} init(%[[H0]])
// CHECK-NEXT:    ^bb0(%[[XT:.*]]: tensor<1xf32>, %[[H:.*]]: tensor<2xf32>):
// CHECK-NEXT:      %[[XW:.*]] = rnn.matvec %[[W]], %[[XT]]
// CHECK-NEXT:      %[[HR:.*]] = rnn.matvec %[[R]], %[[H]]
// CHECK-NEXT:      %[[A:.*]] = rnn.add %[[XW]], %[[HR]]
// CHECK-NEXT:      %[[AB:.*]] = rnn.add %[[A]], %[[B]]
// CHECK-NEXT:      %[[AC:.*]] = rnn.clamp %[[AB]] {bound = 2.000000e+00 : f32}
// CHECK-NEXT:      %[[HN:.*]] = rnn.activation <tanh> %[[AC]]
// CHECK-NEXT:      rnn.yield %[[HN]] : tensor<2xf32>
// CHECK-NEXT:    }
// the reverse direction has no bias (all zero)
// CHECK:         %[[YB:.*]], %[[HB:.*]] = rnn.scan reverse
// CHECK-NOT:       rnn.add %{{.*}}, %[[B]]
// CHECK:           rnn.clamp
// CHECK-NEXT:      rnn.activation <relu>
// CHECK:         rnn.concat
// CHECK:         rnn.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<1x1x2xf32>, tensor<1x1x2xf32>) -> tensor<2x1x2xf32>

// -----

// sequence_lens: the layer's length operand reaches the scan of every direction.
func.func @lengths(%x: tensor<3x1x1xf32>, %len: tensor<1xi32>) -> (tensor<3x2x1x2xf32>, tensor<2x1x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x6x1xf32>
  %r = arith.constant dense<0.5> : tensor<2x6x2xf32>
  %y, %yh = rnn.gru %x, %w, %r lengths(%len : tensor<1xi32>) {hidden_size = 2 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<3x1x1xf32>, tensor<2x6x1xf32>, tensor<2x6x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
  func.return %y, %yh : tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
}

// CHECK-LABEL: func.func @lengths
// CHECK-NOT:     rnn.gru
// CHECK:         rnn.scan %{{.*}} lengths(%len : tensor<1xi32>) init(%{{.*}}) : (tensor<3x1xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>)
// CHECK:         rnn.scan reverse %{{.*}} lengths(%len : tensor<1xi32>) init(%{{.*}}) : (tensor<3x1xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf32>)
