// RUN: ercc-opt %s --split-input-file -p lower-rnn-layers,integer-quantizers | filecheck %s

// Power-of-two scales: every quantizer's codes are the ap_fixed they are (scale 2^-7, 8 bits:
// !fix.fixed<8, 1>), the gate accumulator is the exact sum of two integer matvecs assigned to
// its quantizer's ap_fixed<8, 4, AP_RND_CONV, AP_SAT>: no multiplier at all.
func.func @po2(%x: tensor<3x1x1xf32>) -> tensor<3x1x1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>], ercc.quantizers = {
      input = {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output = {scale = 0.015625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      cell_state = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      input_acc = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      forget_acc = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      cell_acc = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output_acc = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      input_sigmoid = {scale = 0.00390625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      forget_sigmoid = {scale = 0.00390625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      cell_tanh = {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output_sigmoid = {scale = 0.00390625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      hidden_state_tanh = {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_i = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_o = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_f = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_c = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      R_i = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      R_o = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      R_f = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      R_c = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"}}}
      : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y : tensor<3x1x1x2xf32>
}

// CHECK-LABEL: func.func @po2
// CHECK:         %[[XQ:.*]] = fix.quant %{{.*}} {scale = 7.812500e-03 : f64, {{.*}}} : tensor<3x1xf32> -> tensor<3x1x!fix.fixed<8, 1, AP_RND_CONV, AP_SAT>>
// CHECK:         %[[W:.*]] = fix.const dense<8> : tensor<2x1xi32> -> tensor<2x1x!fix.fixed<8, 3, AP_RND_CONV, AP_SAT>>
// CHECK:         %[[SIG:.*]] = fix.const dense<"0x{{.*}}"> : tensor<256xi32> -> tensor<256x!fix.fixed<8, 0, unsigned, AP_RND_CONV, AP_SAT>>
// CHECK:         rnn.scan %[[XQ]] init
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<1x!fix.fixed<8, 1, AP_RND_CONV, AP_SAT>>, %[[H:.*]]: tensor<2x!fix.fixed<8, 2, AP_RND_CONV, AP_SAT>>, %[[C:.*]]: tensor<2x!fix.fixed<8, 3, AP_RND_CONV, AP_SAT>>):
// CHECK-NEXT:      %[[WX:.*]] = rnn.matvec %[[W]], %[[X]] : {{.*}} -> tensor<2x!fix.fixed<13, 1>>
// CHECK-NEXT:      %[[RH:.*]] = rnn.matvec %{{.*}}, %[[H]] : {{.*}} -> tensor<2x!fix.fixed<14, 3>>
// CHECK-NEXT:      %[[A:.*]] = rnn.add %[[WX]], %[[RH]] : {{.*}} -> tensor<2x!fix.fixed<8, 4, AP_RND_CONV, AP_SAT>>
// CHECK-NEXT:      %[[I:.*]] = fix.table %[[A]], %[[SIG]]
// The three sigmoid gates share one table; f * c is exact, then a plain ap_fixed assignment.
// CHECK:           %[[FC:.*]] = rnn.mul %{{.*}}, %[[C]] : {{.*}} -> tensor<2x!fix.fixed<16, 3>>
// CHECK-NEXT:      fix.cast %[[FC]] : tensor<2x!fix.fixed<16, 3>> -> tensor<2x!fix.fixed<8, 3, AP_RND_CONV, AP_SAT>>
// CHECK:           rnn.yield %{{.*}}, %{{.*}} : tensor<2x!fix.fixed<8, 2, AP_RND_CONV, AP_SAT>>, tensor<2x!fix.fixed<8, 3, AP_RND_CONV, AP_SAT>>
// CHECK:         %[[Y:.*]] = fix.dequant %{{.*}} {scale = 1.000000e+00 : f64} : tensor<3x2x!fix.fixed<8, 2, AP_RND_CONV, AP_SAT>> -> tensor<3x2xf32>
// CHECK-NEXT:    rnn.reshape %[[Y]]

// -----

// General scales (accumulators 0.1 ... 0.4, sigmoids 0.5 ... 0.8): integer codes, each term times a
// 26-bit multiplier approximating (its scale / the quantizer's), e.g. 1 / 0.1 = 41943039 * 2^-22; the
// bias (32-bit codes) rescaled at compile time; W narrow-range: AP_SAT_SYM.
func.func @general(%x: tensor<3x1x1xf32>) -> tensor<3x1x1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %b = arith.constant dense<[[0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x16xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<1x16xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>], ercc.quantizers = {
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
      hidden_state_tanh = {scale = 0.9 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_i = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_i = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      B_i = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_o = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_f = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_c = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"}}}
      : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y : tensor<3x1x1x2xf32>
}


// CHECK-LABEL: func.func @general
// CHECK:         %[[W:.*]] = fix.const dense<4> : tensor<2x1xi32> -> tensor<2x1x!fix.fixed<8, 4, AP_RND_CONV, AP_SAT_SYM>>
// CHECK:         %[[M:.*]] = fix.const dense<41943039> : tensor<1xi32> -> tensor<1x!fix.fixed<27, 5>>
// CHECK-NEXT:    %[[B:.*]] = fix.const dense<83886078> : tensor<2xi32> -> tensor<2x!fix.fixed<34, 1>>
// CHECK:         rnn.scan
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<1x!fix.fixed<8, 1, AP_RND_CONV, AP_SAT>>, %[[H:.*]]: tensor<2x!fix.fixed<8, 2, AP_RND_CONV, AP_SAT>>, %{{.*}}: tensor<2x!fix.fixed<8, 3, AP_RND_CONV, AP_SAT>>):
// CHECK-NEXT:      %[[WX:.*]] = rnn.matvec %[[W]], %[[X]] : {{.*}} -> tensor<2x!fix.fixed<12, 1>>
// CHECK-NEXT:      %[[RH:.*]] = rnn.matvec %{{.*}}, %[[H]] : {{.*}} -> tensor<2x!fix.fixed<13, 3>>
// CHECK-NEXT:      %[[P:.*]] = rnn.mul %[[M]], %[[WX]] : {{.*}} -> tensor<2x!fix.fixed<36, 3>>
// CHECK-NEXT:      %[[Q:.*]] = rnn.mul %[[M]], %[[RH]] : {{.*}} -> tensor<2x!fix.fixed<38, 6>>
// CHECK-NEXT:      %[[S:.*]] = rnn.add %[[P]], %[[Q]] : {{.*}} -> tensor<2x!fix.fixed<39, 6>>
// CHECK-NEXT:      %[[A:.*]] = rnn.add %[[S]], %[[B]] : {{.*}} -> tensor<2x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>
// CHECK-NEXT:      fix.table %[[A]], %{{.*}} : (tensor<2x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>, tensor<256x!fix.fixed<8, 7, unsigned, AP_RND_CONV, AP_SAT>>) -> tensor<2x!fix.fixed<8, 7, unsigned, AP_RND_CONV, AP_SAT>>
// CHECK-NOT:       rnn.activation
// CHECK:           rnn.yield

// -----

// Per-channel weight scales (W_i and R_i: 0.0625 and 0.125 per row): integer codes, and the gate's
// multiplier a vector, one per row (0.0625 / 0.1 and 0.125 / 0.1 at 2^-26).
func.func @per_channel(%x: tensor<3x1x1xf32>) -> tensor<3x1x1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %b = arith.constant dense<[[0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x16xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<1x16xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>], ercc.quantizers = {
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
      hidden_state_tanh = {scale = 0.9 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_i = {scale = 1.0 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND", channel_scales = dense<[0.0625, 0.125]> : tensor<2xf32>},
      W_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_i = {scale = 1.0 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND", channel_scales = dense<[0.0625, 0.125]> : tensor<2xf32>},
      R_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      B_i = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_o = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_f = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_c = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"}}}
      : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y : tensor<3x1x1x2xf32>
}


// CHECK-LABEL: func.func @per_channel
// CHECK:         %[[W:.*]] = fix.const dense<{{\[\[}}4], [2]]> : tensor<2x1xi32> -> tensor<2x1x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT_SYM>>
// CHECK:         %[[M:.*]] = fix.const dense<[41943039, 83886079]> : tensor<2xi32> -> tensor<2x!fix.fixed<28, 2>>
// CHECK:           %[[WX:.*]] = rnn.matvec %[[W]], %{{.*}} : {{.*}} -> tensor<2x!fix.fixed<11, 4>>
// CHECK:           rnn.mul %[[M]], %[[WX]] : (tensor<2x!fix.fixed<28, 2>>, tensor<2x!fix.fixed<11, 4>>) -> tensor<2x!fix.fixed<37, 4>>

// -----

// A layer whose input has no quantizer keeps its float32 datapath, and its scan says why.
func.func @no_input_quantizer(%x: tensor<3x1x1xf32>) -> tensor<3x1x1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %b = arith.constant dense<[[0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x16xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<1x16xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>], ercc.quantizers = {
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
      hidden_state_tanh = {scale = 0.9 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_i = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_i = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      B_i = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_o = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_f = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_c = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"}}}
      : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y : tensor<3x1x1x2xf32>
}


// CHECK-LABEL: func.func @no_input_quantizer
// CHECK:         rnn.scan {{.*}} {ercc.datapath = "float: the layer's input has no quantizer"} : (tensor<3x1xf32>,
// CHECK:           rnn.activation <sigmoid>
// CHECK-NOT:     fix.table

// -----

// A 16-bit accumulator before a sigmoid would need a 65536-entry table: the quantized sigmoid is a
// step function of the code instead (it rises at codes -10 and 11: 0, then 1, then 2 in units of
// the output scale 0.5), a fix.pwl with zero slopes, exact.
func.func @wide_accumulator(%x: tensor<3x1x1xf32>) -> tensor<3x1x1x2xf32> {
  %w = arith.constant dense<0.25> : tensor<1x8x1xf32>
  %r = arith.constant dense<0.5> : tensor<1x8x2xf32>
  %b = arith.constant dense<[[0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0009765625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x16xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<1x16xf32>) {hidden_size = 2 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>], ercc.quantizers = {
      input = {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output = {scale = 0.015625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      cell_state = {scale = 0.03125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      input_acc = {scale = 0.1 : f64, zero_point = 0.0 : f64, bits = 16 : i64, signed, rounding = "ROUND"},
      forget_acc = {scale = 0.2 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      cell_acc = {scale = 0.3 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output_acc = {scale = 0.4 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      input_sigmoid = {scale = 0.5 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      forget_sigmoid = {scale = 0.6 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      cell_tanh = {scale = 0.7 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      output_sigmoid = {scale = 0.8 : f64, zero_point = 0.0 : f64, bits = 8 : i64, rounding = "ROUND"},
      hidden_state_tanh = {scale = 0.9 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"},
      W_i = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      W_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_i = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_o = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_f = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      R_c = {scale = 0.0625 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"},
      B_i = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_o = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_f = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"},
      B_c = {scale = 0.00048828125 : f64, zero_point = 0.0 : f64, bits = 32 : i64, signed, rounding = "ROUND"}}}
      : tensor<3x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32> -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>
  func.return %y : tensor<3x1x1x2xf32>
}


// CHECK-LABEL: func.func @wide_accumulator
// CHECK:         %[[BRK:.*]] = fix.const dense<[-10, 11]> : tensor<2xi32> -> tensor<2x!fix.fixed<16, 16, AP_RND_CONV, AP_SAT>>
// CHECK-NEXT:    %[[VAL:.*]] = fix.const dense<1> : tensor<1xi32> -> tensor<1x!fix.fixed<8, 7, unsigned, AP_RND_CONV, AP_SAT>>
// CHECK-NEXT:    %[[SLOPE:.*]] = fix.const dense<0> : tensor<1xi32> -> tensor<1x!fix.fixed<2, 2>>
// CHECK:         rnn.scan %{{[0-9]+}} init
// CHECK:           fix.pwl %{{.*}}, %[[BRK]], %[[VAL]], %[[SLOPE]] {below = 0.000000e+00 : f64, above = 1.000000e+00 : f64} : (tensor<2x!fix.fixed<16, 16, AP_RND_CONV, AP_SAT>>,
