// RUN: ercc-opt %s | ercc-opt | filecheck %s
// RUN: %roundtrip | filecheck %s

// CHECK-LABEL: func.func @layer
func.func @layer(%x: tensor<5x1x3xf32>, %h0: tensor<2x1x4xf32>) -> tensor<5x2x1x4xf32> {
  %w = arith.constant dense<0.5> : tensor<2x16x3xf32>
  %r = arith.constant dense<0.25> : tensor<2x16x4xf32>
  %b = arith.constant dense<0.0> : tensor<2x32xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = rnn.lstm %x, %w, %r bias(%b : tensor<2x32xf32>) initial_h(%h0 : tensor<2x1x4xf32>) {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>, #rnn.act<hard_sigmoid, 0.2, 0.5>, #rnn.act<tanh>, #rnn.act<leaky_relu, 0.1, 0.0>], clip = 3.000000e+00 : f32} : tensor<5x1x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>
  %y, %yh, %yc = rnn.lstm %x, %w, %r bias(%b : tensor<2x32xf32>) initial_h(%h0 : tensor<2x1x4xf32>) {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>, #rnn.act<hard_sigmoid>, #rnn.act<tanh>, #rnn.act<leaky_relu, 0.1, 0.0>], clip = 3.0 : f32} : tensor<5x1x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>
  func.return %y : tensor<5x2x1x4xf32>
}

// CHECK-LABEL: func.func @gru_and_rnn
func.func @gru_and_rnn(%x: tensor<5x1x3xf32>, %h0: tensor<1x1x4xf32>) -> (tensor<1x1x4xf32>, tensor<2x1x4xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x12x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x12x4xf32>
  %b = arith.constant dense<0.0> : tensor<1x24xf32>
  // CHECK: %y, %yh = rnn.gru %x, %w, %r bias(%b : tensor<1x24xf32>) initial_h(%h0 : tensor<1x1x4xf32>) {hidden_size = 4 : i64, direction = #rnn<direction reverse>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>], clip = 2.000000e+00 : f32, linear_before_reset} : tensor<5x1x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  %y, %yh = rnn.gru %x, %w, %r bias(%b : tensor<1x24xf32>) initial_h(%h0 : tensor<1x1x4xf32>) {hidden_size = 4 : i64, direction = #rnn<direction reverse>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>], clip = 2.0 : f32, linear_before_reset} : tensor<5x1x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  %w2 = arith.constant dense<0.5> : tensor<2x4x3xf32>
  %r2 = arith.constant dense<0.25> : tensor<2x4x4xf32>
  // CHECK: %y2, %yh2 = rnn.rnn %x, %w2, %r2 {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<tanh>, #rnn.act<relu>]} : tensor<5x1x3xf32>, tensor<2x4x3xf32>, tensor<2x4x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>
  %y2, %yh2 = rnn.rnn %x, %w2, %r2 {hidden_size = 4 : i64, direction = #rnn<direction bidirectional>, activations = [#rnn.act<tanh>, #rnn.act<relu>]} : tensor<5x1x3xf32>, tensor<2x4x3xf32>, tensor<2x4x4xf32> -> tensor<5x2x1x4xf32>, tensor<2x1x4xf32>
  func.return %yh, %yh2 : tensor<1x1x4xf32>, tensor<2x1x4xf32>
}

// CHECK-LABEL: func.func @head
func.func @head(%h: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %c = arith.constant dense<0.5> : tensor<3xf32>
  // CHECK: %g = rnn.gemm %h, %w bias(%c : tensor<3xf32>) {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = true} : tensor<1x4xf32>, tensor<3x4xf32> -> tensor<1x3xf32>
  %g = rnn.gemm %h, %w bias(%c : tensor<3xf32>) {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : tensor<1x4xf32>, tensor<3x4xf32> -> tensor<1x3xf32>
  %wt = arith.constant dense<1.0> : tensor<3x3xf32>
  // CHECK-NEXT: %wt = arith.constant
  // CHECK-NEXT: %m = rnn.matmul %g, %wt : (tensor<1x3xf32>, tensor<3x3xf32>) -> tensor<1x3xf32>
  %m = rnn.matmul %g, %wt : (tensor<1x3xf32>, tensor<3x3xf32>) -> tensor<1x3xf32>
  // CHECK-NEXT: %s = rnn.sub %m, %c : (tensor<1x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %s = rnn.sub %m, %c : (tensor<1x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  // CHECK-NEXT: %a = rnn.activation <relu> %s : tensor<1x3xf32> -> tensor<1x3xf32>
  %a = rnn.activation <relu> %s : tensor<1x3xf32> -> tensor<1x3xf32>
  // CHECK-NEXT: %k = rnn.clamp %a {bound = 2.000000e+00 : f32} : tensor<1x3xf32> -> tensor<1x3xf32>
  %k = rnn.clamp %a {bound = 2.0 : f32} : tensor<1x3xf32> -> tensor<1x3xf32>
  // CHECK-NEXT: %sm = rnn.softmax %k {axis = 1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
  %sm = rnn.softmax %k {axis = 1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
  // CHECK-NEXT: %ls = rnn.log_softmax %sm {axis = 1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
  %ls = rnn.log_softmax %sm {axis = 1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
  func.return %ls : tensor<1x3xf32>
}

// CHECK-LABEL: func.func @glue
func.func @glue(%y: tensor<5x1x1x4xf32>) -> tensor<1x8xf32> {
  // CHECK: %t = rnn.transpose %y perm [2, 0, 1, 3] : tensor<5x1x1x4xf32> -> tensor<1x5x1x4xf32>
  %t = rnn.transpose %y perm [2, 0, 1, 3] : tensor<5x1x1x4xf32> -> tensor<1x5x1x4xf32>
  // CHECK-NEXT: %last = rnn.slice %t offsets [0, 4, 0, 0] strides [1, 1, 1, 1] : tensor<1x5x1x4xf32> -> tensor<1x1x1x4xf32>
  %last = rnn.slice %t offsets [0, 4, 0, 0] strides [1, 1, 1, 1] : tensor<1x5x1x4xf32> -> tensor<1x1x1x4xf32>
  // CHECK-NEXT: %r = rnn.reshape %last : tensor<1x1x1x4xf32> -> tensor<1x4xf32>
  %r = rnn.reshape %last : tensor<1x1x1x4xf32> -> tensor<1x4xf32>
  // CHECK-NEXT: %c = rnn.concat %r, %r {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  %c = rnn.concat %r, %r {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  func.return %c : tensor<1x8xf32>
}

// CHECK-LABEL: func.func @cell
func.func @cell(%x: tensor<5x3xf32>) -> tensor<5x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  // CHECK: %ys, %hT = rnn.scan reverse %x init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  // CHECK-NEXT: ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
  // CHECK-NEXT:   %m = rnn.matvec %w, %xt : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
  // CHECK-NEXT:   %a = rnn.add %m, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // CHECK-NEXT:   %p = rnn.mul %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // CHECK-NEXT:   rnn.yield %p : tensor<4xf32>
  // CHECK-NEXT: }
  %ys, %hT = rnn.scan reverse %x init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    %m = rnn.matvec %w, %xt : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
    %a = rnn.add %m, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %p = rnn.mul %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %p : tensor<4xf32>
  }
  func.return %ys : tensor<5x4xf32>
}

// Per-sequence lengths (ONNX sequence_lens of the one sequence) on layers and scans.
// CHECK-LABEL: func.func @lengths
func.func @lengths(%x: tensor<5x1x3xf32>, %len: tensor<1xi32>) -> (tensor<1x1x4xf32>, tensor<5x4xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x4x3xf32>
  %r = arith.constant dense<0.25> : tensor<1x4x4xf32>
  // CHECK: %y, %yh = rnn.rnn %x, %w, %r lengths(%len : tensor<1xi32>) {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  %y, %yh = rnn.rnn %x, %w, %r lengths(%len : tensor<1xi32>) {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  %w4 = arith.constant dense<0.5> : tensor<1x16x3xf32>
  %r4 = arith.constant dense<0.25> : tensor<1x16x4xf32>
  // CHECK: rnn.lstm %x, %w4, %r4 lengths(%len : tensor<1xi32>) {hidden_size = 4 : i64, direction = #rnn<direction reverse>
  %y4, %yh4, %yc4 = rnn.lstm %x, %w4, %r4 lengths(%len : tensor<1xi32>) {hidden_size = 4 : i64, direction = #rnn<direction reverse>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
  %w3 = arith.constant dense<0.5> : tensor<1x12x3xf32>
  %r3 = arith.constant dense<0.25> : tensor<1x12x4xf32>
  // CHECK: rnn.gru %x, %w3, %r3 lengths(%len : tensor<1xi32>) {hidden_size = 4 : i64
  %y3, %yh3 = rnn.gru %x, %w3, %r3 lengths(%len : tensor<1xi32>) {hidden_size = 4 : i64, direction = #rnn<direction forward>, activations = [#rnn.act<sigmoid>, #rnn.act<tanh>]} : tensor<5x1x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  %xs = rnn.reshape %x : tensor<5x1x3xf32> -> tensor<5x3xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %m = arith.constant dense<1.0> : tensor<4x3xf32>
  // CHECK: %ys, %hT = rnn.scan reverse %xs lengths(%len : tensor<1xi32>) init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  %ys, %hT = rnn.scan reverse %xs lengths(%len : tensor<1xi32>) init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    %mv = rnn.matvec %m, %xt : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
    rnn.yield %mv : tensor<4xf32>
  }
  func.return %yh, %ys : tensor<1x1x4xf32>, tensor<5x4xf32>
}
