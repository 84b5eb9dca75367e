// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @bad_direction() attributes {d = #rnn<direction up>} {
  func.return
}
// CHECK: Expected `forward`, `reverse`, or `bidirectional`.

// -----

// The direction property must be the enum attribute, not its string.
func.func @string_direction(%x: tensor<5x1x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) {
  %y, %yh = rnn.rnn %x, %w, %r {hidden_size = 4 : i64, direction = "forward", activations = [#rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  func.return
}
// CHECK: "forward" should be of base attribute rnn.direction
