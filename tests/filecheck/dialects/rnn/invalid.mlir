// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @bad_w(%x: tensor<5x1x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x12x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x16x4xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x12x3xf32>, tensor<1x16x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: W must have shape [1, 16, 3], got [1, 12, 3]

// -----

func.func @bad_direction(%x: tensor<5x1x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x16x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x16x4xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction sideways>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: Expected `forward`, `reverse`, or `bidirectional`.

// -----

func.func @too_few_activations(%x: tensor<5x1x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<2x16x3xf32>
  %r = arith.constant dense<0.25> : tensor<2x16x4xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>
  func.return
}
// CHECK: expected 6 activations for 2 direction(s), got 3

// -----

func.func @batch_not_one(%x: tensor<5x2x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x16x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x16x4xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: X must have shape [T, 1, I] (batch fixed to 1), got [5, 2, 3]

// -----

func.func @matvec_shape(%w: tensor<4x3xf32>, %x: tensor<4xf32>) {
  %y = rnn.matvec %w, %x : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: matvec needs W [rows, cols], x [cols], y [rows]; got [4, 3], [4], [4]

// -----

func.func @no_broadcast(%a: tensor<4xf32>, %b: tensor<3xf32>) {
  %y = rnn.add %a, %b : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: operand shapes [4] and [3] do not broadcast

// -----

func.func @bad_perm(%a: tensor<2x3xf32>) {
  %y = rnn.transpose %a perm [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  func.return
}
// CHECK: perm [0, 0] is not a permutation of rank 2

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) {
  %y = rnn.reshape %a : tensor<2x3xf32> -> tensor<7xf32>
  func.return
}
// CHECK: reshape changes the element count: [2, 3] to [7]

// -----

func.func @slice_out(%a: tensor<5x4xf32>) {
  %y = rnn.slice %a offsets [4, 0] strides [1, 1] : tensor<5x4xf32> -> tensor<2x4xf32>
  func.return
}
// CHECK: slice along axis 0 leaves the input (size 5)

// -----

func.func @concat_mismatch(%a: tensor<1x4xf32>, %b: tensor<2x3xf32>) {
  %y = rnn.concat %a, %b {axis = 1 : i64} : (tensor<1x4xf32>, tensor<2x3xf32>) -> tensor<1x7xf32>
  func.return
}
// CHECK: concat inputs differ outside axis 1

// -----

func.func @clamp_bound(%a: tensor<4xf32>) {
  %y = rnn.clamp %a {bound = -1.0 : f32} : tensor<4xf32> -> tensor<4xf32>
  func.return
}
// CHECK: clamp bound must be positive, got -1.0

// -----

func.func @softmax_axis(%a: tensor<1x4xf32>) {
  %y = rnn.softmax %a {axis = 2 : i64} : tensor<1x4xf32> -> tensor<1x4xf32>
  func.return
}
// CHECK: axis 2 out of range for rank 2

// -----

func.func @gemm_inner(%a: tensor<1x4xf32>, %b: tensor<3x5xf32>) {
  %y = rnn.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : tensor<1x4xf32>, tensor<3x5xf32> -> tensor<1x5xf32>
  func.return
}
// CHECK: Gemm inner dimensions differ: 4 and 3

// -----

func.func @scan_yield(%x: tensor<5x3xf32>, %h0: tensor<4xf32>) {
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    rnn.yield %xt : tensor<3xf32>
  }
  func.return
}
// CHECK: yielded state 0 has type tensor<3xf32>, expected tensor<4xf32>

// -----

func.func @scan_step(%x: tensor<5x3xf32>, %h0: tensor<4xf32>) {
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<2xf32>, %h: tensor<4xf32>):
    rnn.yield %h : tensor<4xf32>
  }
  func.return
}
// CHECK: body step argument must have shape [3]

// -----

func.func @layer_lengths_type(%x: tensor<5x1x3xf32>, %len: tensor<1xi64>) {
  %w = arith.constant dense<0.5> : tensor<1x4x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x4x4xf32>
  %y, %yh = rnn.rnn %x, %w, %r lengths(%len : tensor<1xi64>) {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: lengths must be tensor<1xi32>, got tensor<1xi64>

// -----

func.func @scan_lengths_type(%x: tensor<5x3xf32>, %h0: tensor<4xf32>, %len: tensor<2xi32>) {
  %ys, %hT = rnn.scan %x lengths(%len : tensor<2xi32>) init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    rnn.yield %h : tensor<4xf32>
  }
  func.return
}
// CHECK: lengths must be tensor<1xi32>, got tensor<2xi32>

// -----

func.func @unknown_activation(%a: tensor<4xf32>) {
  %y = rnn.activation <swish> %a : tensor<4xf32> -> tensor<4xf32>
  func.return
}
// CHECK: unknown activation 'swish'

// -----

func.func @gru_bad_r(%x: tensor<5x1x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x12x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x16x4xf32>
  %y, %yh = rnn.gru %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x12x3xf32>, tensor<1x16x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: R must have shape [1, 12, 4], got [1, 16, 4]

// -----

func.func @rnn_activations(%x: tensor<5x1x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x4x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x4x4xf32>
  %y, %yh = rnn.rnn %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: expected 1 activations for 1 direction(s), got 2
