// RUN: ercc-opt %s | filecheck %s
// RUN: %roundtrip | filecheck %s

// rnn.direction is an EnumAttribute: `#rnn<direction value>`, also standalone.
// CHECK: func.func @directions() attributes {fwd = #rnn<direction forward>, rev = #rnn<direction reverse>, bi = #rnn<direction bidirectional>}
func.func @directions() attributes {fwd = #rnn<direction forward>, rev = #rnn<direction reverse>, bi = #rnn<direction bidirectional>} {
  func.return
}

// A layer op's direction is the enum attribute; it sets the number of directions D of every shape.
// CHECK: rnn.gru %x, %w, %r {hidden_size = 2 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<3x1x2xf32>, tensor<2x6x2xf32>, tensor<2x6x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
func.func @gru_bidirectional(%x: tensor<3x1x2xf32>, %w: tensor<2x6x2xf32>, %r: tensor<2x6x2xf32>) -> tensor<3x2x1x2xf32> {
  %y, %yh = rnn.gru %x, %w, %r {hidden_size = 2 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<3x1x2xf32>, tensor<2x6x2xf32>, tensor<2x6x2xf32> -> tensor<3x2x1x2xf32>, tensor<2x1x2xf32>
  func.return %y : tensor<3x2x1x2xf32>
}
