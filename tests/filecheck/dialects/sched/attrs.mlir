// RUN: ercc-opt %s | ercc-opt | filecheck %s
// RUN: %roundtrip | filecheck %s

// CHECK-LABEL: func.func @annotated
func.func @annotated(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %w = arith.constant {sched.partition = #sched.partition<cyclic, 4>} dense<1.000000e+00> : tensor<4x4xf32>
  %w = arith.constant {sched.partition = #sched.partition<cyclic, 4>} dense<1.0> : tensor<4x4xf32>
  // CHECK-NEXT: %y = rnn.matvec %w, %x {sched.loop = #sched.loop<ii = 1, unroll = 4>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = rnn.matvec %w, %x {sched.loop = #sched.loop<ii = 1, unroll = 4>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// A dataflow function whose map hands its rows to the scan through a FIFO.
// CHECK-LABEL: func.func @dataflow
// CHECK-SAME:  attributes {sched.dataflow}
func.func @dataflow(%x: tensor<3x4xf32>) -> tensor<3x4xf32> attributes {sched.dataflow} {
  // CHECK: rnn.map %x {sched.stream = #sched.stream<depth = 8>}
  %rows = rnn.map %x {sched.stream = #sched.stream<depth = 8>} : tensor<3x4xf32> -> (tensor<3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>):
    rnn.yield %xt : tensor<4xf32>
  }
  func.return %rows : tensor<3x4xf32>
}
