// RUN: not ercc-opt %s -t hls-cpp 2>&1 | filecheck %s

// A scheduled module (the scan and the matvec carry a sched.loop) whose rnn.add has
// none: a decision missing from the IR is an error naming the op, not a loop
// printed without pragmas.
func.func @ercc_kernel(%x: tensor<3x4xf32>) -> tensor<3x4xf32> attributes {ercc.input_names = ["x"], ercc.output_names = ["y"]} {
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  %h0 = arith.constant dense<0.0> : tensor<4xf32>
  %ys, %hT = rnn.scan %x init(%h0) {sched.loop = #sched.loop<ii = 1, unroll = 1>} : (tensor<3x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %m = rnn.matvec %w, %xt {sched.loop = #sched.loop<ii = 1, unroll = 2>} : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %a = rnn.add %m, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    rnn.yield %a : tensor<4xf32>
  }
  func.return %ys : tensor<3x4xf32>
}

// CHECK:     ercc-opt: error: the hls-cpp backend needs a valid module: rnn.add: no sched.loop decision, but the module is scheduled (other ops carry one): run pe-schedule or a scheduler pass that decides every loop
// CHECK-NOT: Traceback
