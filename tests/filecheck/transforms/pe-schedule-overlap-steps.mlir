// RUN: ercc-opt %s -p 'pe-schedule' | filecheck %s
// RUN: ercc-opt %s -p 'pe-schedule{overlap-steps=false}' | filecheck %s --check-prefix=OFF
// RUN: ercc-opt %s -p 'pe-schedule' -t hls-cpp | filecheck %s --check-prefix=CPP

// An input path alone (W·x + b, then tanh): 96 rows of k = 4 from 4 inputs
// (24 block rows, one block column). Its row pipeline has room to overlap its
// steps (sched.overlap_steps): one loop over the whole sequence, whose first
// iterations transform x_0 and which transforms x_t+1 block by block while
// step t's rows run; each hidden block's tail runs during the next block's
// rows, across step boundaries, and the last drains at the end.
func.func @ercc_kernel(%X: tensor<3x4xf32>) -> tensor<3x96xf32> attributes {ercc.input_names = ["X"], ercc.output_names = ["Y"]} {
  %b = arith.constant dense<[-0.093490, 0.409959, -0.456933, 0.322706, -0.084616, 0.329804, -0.490045, -0.134954, -0.421370, 0.152615, -0.226151, 0.202652, 0.443801, -0.373183, 0.364778, -0.440536, -0.119229, -0.070226, -0.011150, 0.476462, 0.275691, -0.191143, -0.230163, 0.363120, 0.381307, 0.010707, -0.155704, 0.494917, -0.184056, -0.317288, 0.380098, 0.312335, 0.167889, 0.458414, 0.425715, 0.248249, 0.360701, -0.252853, -0.358753, 0.170062, 0.214619, -0.332947, -0.104443, 0.410256, 0.061401, 0.078336, -0.305870, 0.026022, 0.023435, -0.411064, 0.481943, 0.071396, -0.493591, 0.272649, 0.478266, 0.089870, -0.180318, -0.312492, 0.172527, -0.304893, 0.077688, 0.102239, 0.462423, -0.427735, -0.000027, 0.244097, -0.322773, -0.111933, -0.437104, 0.225881, -0.412232, -0.104908, 0.373523, -0.027700, 0.412622, 0.265917, 0.415324, -0.372597, -0.426437, -0.429674, 0.368854, 0.134070, -0.003428, -0.336457, 0.173733, -0.181983, 0.210880, -0.039645, 0.007470, 0.289666, -0.407255, 0.078759, -0.302765, 0.308137, -0.011154, 0.488695]> : tensor<96xf32>
  %w = circ.freq_const dense<[[[[0.136962, 0.000000],
   [-0.459026, -0.483472],
   [0.313270, 0.000000]]],


 [[[0.106636, 0.000000],
   [0.043625, 0.435072],
   [0.315854, 0.000000]]],


 [[[0.357404, 0.000000],
   [0.229655, -0.324344],
   [0.363179, 0.000000]]],


 [[[-0.200288, 0.000000],
   [-0.471680, -0.375717],
   [0.170624, 0.000000]]],


 [[[0.115385, 0.000000],
   [0.497210, 0.480835],
   [0.185542, 0.000000]]],


 [[[0.188447, 0.000000],
   [-0.364904, 0.221488],
   [0.025354, 0.000000]]],


 [[[-0.014165, 0.000000],
   [0.434044, -0.142205],
   [0.071530, 0.000000]]],


 [[[0.094300, 0.000000],
   [-0.108381, 0.390274],
   [-0.272842, 0.000000]]],


 [[[-0.415985, 0.000000],
   [0.287098, -0.260631],
   [0.376484, 0.000000]]],


 [[[-0.163883, 0.000000],
   [-0.049661, 0.296324],
   [-0.269358, 0.000000]]],


 [[[-0.095448, 0.000000],
   [-0.409247, 0.080332],
   [-0.201304, 0.000000]]],


 [[[-0.300485, 0.000000],
   [-0.134890, -0.394505],
   [0.129108, 0.000000]]],


 [[[-0.059623, 0.000000],
   [-0.000104, -0.074771],
   [0.120213, 0.000000]]],


 [[[0.448944, 0.000000],
   [0.257729, -0.002577],
   [0.029312, 0.000000]]],


 [[[-0.085344, 0.000000],
   [0.211143, 0.432060],
   [-0.385067, 0.000000]]],


 [[[0.427424, 0.000000],
   [-0.485294, 0.363640],
   [0.481195, 0.000000]]],


 [[[-0.351236, 0.000000],
   [0.389936, 0.322374],
   [-0.020012, 0.000000]]],


 [[[0.301881, 0.000000],
   [-0.233870, 0.038934],
   [-0.057247, 0.000000]]],


 [[[-0.459489, 0.000000],
   [0.114373, -0.471635],
   [0.219220, 0.000000]]],


 [[[0.257951, 0.000000],
   [0.429104, -0.433917],
   [0.341317, 0.000000]]],


 [[[-0.155690, 0.000000],
   [0.466062, 0.062232],
   [-0.241135, 0.000000]]],


 [[[0.388118, 0.000000],
   [-0.375445, -0.211669],
   [0.086123, 0.000000]]],


 [[[0.309711, 0.000000],
   [-0.211579, -0.087104],
   [0.318121, 0.000000]]],


 [[[0.459078, 0.000000],
   [0.052612, 0.093924],
   [0.348291, 0.000000]]]]> : tensor<24x1x3x2xf32> -> !circ.fbc<96x4, 4, f32>
  %y = rnn.map %X {ercc.layer = "input"} : tensor<3x4xf32> -> (tensor<3x96xf32>) {
  ^bb0(%x: tensor<4xf32>):
    %s = circ.rfft %x : tensor<4xf32> -> !circ.spectrum<1, 4, f32>
    %m = circ.freq_mac %w, %s : !circ.fbc<96x4, 4, f32>, !circ.spectrum<1, 4, f32> -> !circ.spectrum<24, 4, f32>
    %v = circ.irfft %m : !circ.spectrum<24, 4, f32> -> tensor<96xf32>
    %a = rnn.add %v, %b : (tensor<96xf32>, tensor<96xf32>) -> tensor<96xf32>
    %h = rnn.activation <tanh> %a : tensor<96xf32> -> tensor<96xf32>
    rnn.yield %h : tensor<96xf32>
  }
  func.return %y : tensor<3x96xf32>
}

// The plan: 24 block rows a step, x_0's FFT first (1 block column + the FFT unit's 22-cycle
// pipeline), 3 steps, one more iteration to drain the last hidden block: 23 + 3·24 + 1.
// CHECK:      rnn.map %X {ercc.layer = "input", sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 96, block = 4>, sched.loop = #sched.loop<{{.*}}>, sched.overlap_steps = #sched.overlap<step = 24, total = 96, prologue = 23, split = 0, partial_sums = none>}

// OFF:        rnn.map %X {ercc.layer = "input", sched.row_pipeline = #sched.row_pipeline<gates = 1, size = 96, block = 4>, sched.loop = #sched.loop<{{.*}}>}
// OFF-NOT:    sched.overlap_steps

// CPP:        // circ.rfft, circ.freq_mac, circ.irfft and the elementwise tail: one row pipeline over all steps
// CPP:        for (int it = 0; it < 96; it++) {
// CPP-NEXT:     #pragma HLS pipeline II=1
// CPP-NEXT:     #pragma HLS dependence variable=[[SPEC:v_[a-z0-9_]+]] inter false
// CPP-NEXT:     const int ri = it - 23;
// CPP-NEXT:     const int t = ri / 24;
// CPP-NEXT:     const int i = ri % 24;
// CPP-NEXT:     if (it < 1 || (ri >= 0 && i < 1 && t + 1 < 3)) {
// CPP:            ercc_rfft4_{{[0-9]+}}(fblk, fspec);
// CPP:              [[SPEC]][(ft & 1) * 6 + fb * 6 + j] = fspec[j];
// CPP:          if (ri >= 0 && ri < 72) {
// CPP:              const int xb = (t & 1) * 6 + b * 6;
// CPP:            ercc_irfft4_{{[0-9]+}}(spec, blk);
// CPP:          if (ri >= 1) {
// CPP-NEXT:       const int tb = ri / 1 - 1;
// CPP-NEXT:       const int tt = tb / 24;
// CPP-NEXT:       const int hbt = tb % 24;
// CPP:              const int n = hbt * 4 + lane;
// CPP:              Y[tt * 96 + n] = e_{{[a-z0-9_]+}};
