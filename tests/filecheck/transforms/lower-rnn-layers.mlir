// RUN: ercc-opt %s --split-input-file -p lower-rnn-layers | filecheck %s

// One forward LSTM, H = 2, I = 1: W holds 1..8 so each gate's slice is visible
// (ONNX gate order i, o, f, c); the two bias halves are summed per gate.
func.func @forward(%x: tensor<3x1x1xf32>) -> (tensor<3x1x1x2xf32>, tensor<1x1x2xf32>) {
  %w = arith.constant dense<[[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0]]]> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %b = arith.constant dense<[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<1x16xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<1x16xf32>) {hidden_size = 2 : i64, direction = "forward", activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
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
  %y, %yh, %yc = rnn.lstm %x, %w, %r initial_h(%h0 : tensor<2x1x2xf32>) {hidden_size = 2 : i64, direction = "bidirectional", activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>, #rnn.act<hard_sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<3x1x1xf32>, tensor<2x8x1xf32>, tensor<2x8x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>, tensor<2x1x2xf32>
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
