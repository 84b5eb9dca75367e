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
