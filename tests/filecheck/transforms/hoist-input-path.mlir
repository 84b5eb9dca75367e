// RUN: ercc-opt %s -p hoist-input-path | filecheck %s

// Two gates: W·x of each moves into an rnn.map before the scan; the scan reads
// both from one concatenated row and slices them back apart. R·h stays.
// CHECK-LABEL: func.func @two_gates
func.func @two_gates(%x: tensor<5x3xf32>) -> tensor<5x4xf32> {
  %w1 = arith.constant dense<0.5> : tensor<4x3xf32>
  %w2 = arith.constant dense<0.25> : tensor<4x3xf32>
  %r = arith.constant dense<1.0> : tensor<4x4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) {ercc.layer = "l0"} : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    %a = rnn.matvec %w1, %xt : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
    %b = rnn.matvec %w2, %xt : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
    %rh = rnn.matvec %r, %h : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %s = rnn.add %a, %rh : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %t = rnn.mul %s, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %t : tensor<4xf32>
  }
  func.return %ys : tensor<5x4xf32>
}
// CHECK:      %[[ROWS:.*]] = rnn.map %x {ercc.layer = "l0"} : tensor<5x3xf32> -> (tensor<5x8xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:.*]]: tensor<3xf32>):
// CHECK-NEXT:   %[[A:.*]] = rnn.matvec %w1, %[[X]]
// CHECK-NEXT:   %[[B:.*]] = rnn.matvec %w2, %[[X]]
// CHECK-NEXT:   %[[C:.*]] = rnn.concat %[[A]], %[[B]] {axis = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
// CHECK-NEXT:   rnn.yield %[[C]] : tensor<8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %ys, %hT = rnn.scan %[[ROWS]] init(%h0) {ercc.layer = "l0"} : (tensor<5x8xf32>, tensor<4xf32>)
// CHECK-NEXT: ^{{.*}}(%[[ROW:.*]]: tensor<8xf32>, %h: tensor<4xf32>):
// CHECK-NEXT:   %[[SA:.*]] = rnn.slice %[[ROW]] offsets [0] strides [1] : tensor<8xf32> -> tensor<4xf32>
// CHECK-NEXT:   %[[SB:.*]] = rnn.slice %[[ROW]] offsets [4] strides [1] : tensor<8xf32> -> tensor<4xf32>
// CHECK-NEXT:   %rh = rnn.matvec %r, %h
// CHECK-NEXT:   %s = rnn.add %[[SA]], %rh
// CHECK-NEXT:   %t = rnn.mul %s, %[[SB]]
// CHECK-NEXT:   rnn.yield %t

// One hoisted value (W·x + b, an x-only bias add): the map's rows are the scan's
// steps, no concat. Reverse scans and sequence lengths keep their operands.
// CHECK-LABEL: func.func @reverse_with_lengths
func.func @reverse_with_lengths(%x: tensor<5x3xf32>, %len: tensor<1xi32>) -> tensor<5x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x3xf32>
  %bw = arith.constant dense<0.125> : tensor<4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan reverse %x lengths(%len : tensor<1xi32>) init(%h0) : (tensor<5x3xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<3xf32>, %h: tensor<4xf32>):
    %a = rnn.matvec %w, %xt : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4xf32>
    %ab = rnn.add %a, %bw : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %s = rnn.add %ab, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %s : tensor<4xf32>
  }
  func.return %ys : tensor<5x4xf32>
}
// CHECK:      %[[ROWS2:.*]] = rnn.map %x : tensor<5x3xf32> -> (tensor<5x4xf32>) {
// CHECK:        rnn.matvec %w
// CHECK-NEXT:   %[[AB:.*]] = rnn.add %{{.*}}, %bw
// CHECK-NEXT:   rnn.yield %[[AB]] : tensor<4xf32>
// CHECK:      rnn.scan reverse %[[ROWS2]] lengths(%len : tensor<1xi32>) init(%h0)
// CHECK-NEXT: ^{{.*}}(%[[STEP:.*]]: tensor<4xf32>, %h: tensor<4xf32>):
// CHECK-NEXT:   %s = rnn.add %[[STEP]], %h
// CHECK-NEXT:   rnn.yield %s

// x_t read by the recurrent part itself travels in the row next to W·x.
// CHECK-LABEL: func.func @x_used_directly
func.func @x_used_directly(%x: tensor<5x4xf32>) -> tensor<5x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<5x4xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %a = rnn.matvec %w, %xt : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %m = rnn.mul %xt, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %s = rnn.add %a, %m : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %s : tensor<4xf32>
  }
  func.return %ys : tensor<5x4xf32>
}
// CHECK:      rnn.map %x : tensor<5x4xf32> -> (tensor<5x8xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[XT:.*]]: tensor<4xf32>):
// CHECK-NEXT:   %[[WX:.*]] = rnn.matvec %w, %[[XT]]
// CHECK-NEXT:   rnn.concat %[[XT]], %[[WX]]

// Nothing but the recurrence: the scan is left alone.
// CHECK-LABEL: func.func @nothing_to_hoist
func.func @nothing_to_hoist(%x: tensor<5x4xf32>) -> tensor<5x4xf32> {
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<5x4xf32>, tensor<4xf32>) -> (tensor<5x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %s = rnn.add %xt, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %s : tensor<4xf32>
  }
  func.return %ys : tensor<5x4xf32>
}
// CHECK-NOT:  rnn.map
// CHECK:      rnn.scan %x init(%h0)

// The integer datapath's terms (a quantized cell): W·x of two gates in different exact formats share
// the row in the format that holds both (fix.cast, exact), since only rnn.add reads them.
// CHECK-LABEL: func.func @mixed_formats
func.func @mixed_formats(%x: tensor<5x3x!fix.fixed<8, 8>>) -> tensor<5x4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>> {
  %w1 = fix.const dense<3> : tensor<4x3xi32> -> tensor<4x3x!fix.fixed<8, 8>>
  %w2 = fix.const dense<5> : tensor<4x3xi32> -> tensor<4x3x!fix.fixed<8, 4>>
  %h0 = fix.const dense<0> : tensor<4xi32> -> tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<5x3x!fix.fixed<8, 8>>, tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>) -> (tensor<5x4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>, tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>) {
  ^bb0(%xt: tensor<3x!fix.fixed<8, 8>>, %h: tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>):
    %a = rnn.matvec %w1, %xt : (tensor<4x3x!fix.fixed<8, 8>>, tensor<3x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<18, 18>>
    %b = rnn.matvec %w2, %xt : (tensor<4x3x!fix.fixed<8, 4>>, tensor<3x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<18, 14>>
    %s = rnn.add %a, %h : (tensor<4x!fix.fixed<18, 18>>, tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>) -> tensor<4x!fix.fixed<20, 20>>
    %t = rnn.add %s, %b : (tensor<4x!fix.fixed<20, 20>>, tensor<4x!fix.fixed<18, 14>>) -> tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>
    rnn.yield %t : tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>
  }
  func.return %ys : tensor<5x4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>
}
// CHECK:      %[[ROWS:.*]] = rnn.map %x : tensor<5x3x!fix.fixed<8, 8>> -> (tensor<5x8x!fix.fixed<22, 18>>) {
// CHECK:        %[[A:.*]] = rnn.matvec %w1
// CHECK-NEXT:   %[[B:.*]] = rnn.matvec %w2
// CHECK-NEXT:   %[[CA:.*]] = fix.cast %[[A]] : tensor<4x!fix.fixed<18, 18>> -> tensor<4x!fix.fixed<22, 18>>
// CHECK-NEXT:   %[[CB:.*]] = fix.cast %[[B]] : tensor<4x!fix.fixed<18, 14>> -> tensor<4x!fix.fixed<22, 18>>
// CHECK-NEXT:   rnn.concat %[[CA]], %[[CB]]
// CHECK:      rnn.scan %[[ROWS]]
// CHECK:        %s = rnn.add %{{.*}}, %h : (tensor<4x!fix.fixed<22, 18>>, tensor<4x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>>) -> tensor<4x!fix.fixed<20, 20>>

// A value read by an op that is not arithmetic on values (here a concat with the state, which needs
// one element type) cannot change format: nothing moves.
// CHECK-LABEL: func.func @concat_reads_the_format
func.func @concat_reads_the_format(%x: tensor<5x3x!fix.fixed<8, 8>>) -> tensor<5x8x!fix.fixed<8, 8>> {
  %w1 = fix.const dense<3> : tensor<4x3xi32> -> tensor<4x3x!fix.fixed<8, 8>>
  %w2 = fix.const dense<5> : tensor<4x3xi32> -> tensor<4x3x!fix.fixed<8, 4>>
  %h0 = fix.const dense<0> : tensor<8xi32> -> tensor<8x!fix.fixed<8, 8>>
  %ys, %hT = rnn.scan %x init(%h0) : (tensor<5x3x!fix.fixed<8, 8>>, tensor<8x!fix.fixed<8, 8>>) -> (tensor<5x8x!fix.fixed<8, 8>>, tensor<8x!fix.fixed<8, 8>>) {
  ^bb0(%xt: tensor<3x!fix.fixed<8, 8>>, %h: tensor<8x!fix.fixed<8, 8>>):
    %a = rnn.matvec %w1, %xt : (tensor<4x3x!fix.fixed<8, 8>>, tensor<3x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<8, 8>>
    %b = rnn.matvec %w2, %xt : (tensor<4x3x!fix.fixed<8, 4>>, tensor<3x!fix.fixed<8, 8>>) -> tensor<4x!fix.fixed<18, 14>>
    %hs = rnn.slice %h offsets [0] strides [1] : tensor<8x!fix.fixed<8, 8>> -> tensor<4x!fix.fixed<8, 8>>
    %t = rnn.add %hs, %b : (tensor<4x!fix.fixed<8, 8>>, tensor<4x!fix.fixed<18, 14>>) -> tensor<4x!fix.fixed<8, 8>>
    %c = rnn.concat %a, %t {axis = 0 : i64} : (tensor<4x!fix.fixed<8, 8>>, tensor<4x!fix.fixed<8, 8>>) -> tensor<8x!fix.fixed<8, 8>>
    rnn.yield %c : tensor<8x!fix.fixed<8, 8>>
  }
  func.return %ys : tensor<5x8x!fix.fixed<8, 8>>
}
// CHECK-NOT:  rnn.map
// CHECK:      rnn.scan %x
