// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

// The checks every recurrent layer op inherits from rnn's RecurrentLayerOp base, on GRU and RNN
// (rnn/invalid.mlir has them on LSTM), and the StaticShapes trait.

func.func @gru_zero_hidden(%x: tensor<5x1x3xf32>, %w: tensor<1x0x3xf32>, %r: tensor<1x0x0xf32>) {
  %y, %yh = rnn.gru %x, %w, %r {hidden_size = 0 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x0x3xf32>, tensor<1x0x0xf32> -> tensor<5x1x1x0xf32>, tensor<1x1x0xf32>
  func.return
}
// CHECK: hidden_size must be positive, got 0

// -----

func.func @gru_bidirectional_activations(%x: tensor<5x1x3xf32>, %w: tensor<2x12x3xf32>, %r: tensor<2x12x4xf32>) {
  %y, %yh = rnn.gru %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<2x12x3xf32>, tensor<2x12x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>
  func.return
}
// CHECK: expected 4 activations for 2 direction(s), got 2

// -----

func.func @gru_bias(%x: tensor<5x1x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>, %b: tensor<1x12xf32>) {
  %y, %yh = rnn.gru %x, %w, %r bias(%b : tensor<1x12xf32>) {hidden_size = 4 : i64, direction = #rnn<direction reverse>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: B must have shape [1, 24], got [1, 12]

// -----

func.func @rnn_initial_h(%x: tensor<5x1x3xf32>, %w: tensor<2x4x3xf32>, %r: tensor<2x4x4xf32>, %h: tensor<1x1x4xf32>) {
  %y, %yh = rnn.rnn %x, %w, %r initial_h(%h : tensor<1x1x4xf32>) {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<2x4x3xf32>, tensor<2x4x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>
  func.return
}
// CHECK: initial_h must have shape [2, 1, 4], got [1, 1, 4]

// -----

func.func @rnn_y(%x: tensor<5x1x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) {
  %y, %yh = rnn.rnn %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<4x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: Y must have shape [5, 1, 1, 4], got [4, 1, 1, 4]

// -----

func.func @rnn_dynamic(%x: tensor<?x1x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) {
  %y, %yh = rnn.rnn %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>]} : tensor<?x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<?x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: 'rnn.rnn' needs static shapes, got tensor<?x1x3xf32>
