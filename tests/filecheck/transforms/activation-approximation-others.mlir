// RUN: ercc-opt %s -p 'activation-approximation{segments=4}' | filecheck %s
// RUN: ercc-opt %s -p 'activation-approximation{segments=4}' | ercc-opt | filecheck %s
// RUN: ercc-opt %s -p 'activation-approximation{segments=4},quantize' -t hls-cpp | filecheck %s --check-prefix=CPP

// The other smooth activations become fix.pwl too; elu and softplus are the
// identity above their range (identity_above); softsign's breakpoints are dense
// near 0; one table per (function, alpha, beta). The exactly piecewise-linear
// ones stay rnn.activation (the emitter computes them with fixed constants).
func.func @others(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %e = rnn.activation <elu, 0.5, 0.0> %x : tensor<4xf32> -> tensor<4xf32>
  %p = rnn.activation <softplus> %x : tensor<4xf32> -> tensor<4xf32>
  %g = rnn.activation <softsign> %x : tensor<4xf32> -> tensor<4xf32>
  %t = rnn.activation <scaled_tanh, 2.0, -0.5> %x : tensor<4xf32> -> tensor<4xf32>
  %t2 = rnn.activation <scaled_tanh, 1.0, 1.0> %x : tensor<4xf32> -> tensor<4xf32>
  %l = rnn.activation <leaky_relu, 0.1, 0.0> %x : tensor<4xf32> -> tensor<4xf32>
  %h = rnn.activation <hard_sigmoid, 0.2, 0.5> %x : tensor<4xf32> -> tensor<4xf32>
  func.return %e, %p, %g, %t, %t2, %l, %h : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-DAG:  %elu_breaks = arith.constant dense<[-8.000000e+00, -6.000000e+00, -4.000000e+00, -2.000000e+00, 0.000000e+00]> : tensor<5xf32>
// CHECK-DAG:  %softsign_breaks = arith.constant dense<[-6.400000e+01, -2.16592431, 0.000000e+00, 2.16592431, 6.400000e+01]> : tensor<5xf32>
// CHECK-DAG:  %[[ST:.*]] = arith.constant dense<[-8.000000e+00, -4.000000e+00, 0.000000e+00, 4.000000e+00, 8.000000e+00]> : tensor<5xf32>
// CHECK-DAG:  %[[ST1:.*]] = arith.constant dense<[-4.000000e+00, -2.000000e+00, 0.000000e+00, 2.000000e+00, 4.000000e+00]> : tensor<5xf32>
// CHECK:      %e = fix.pwl %x, %elu_breaks, %elu_values, %elu_slopes {below = -5.000000e-01 : f64, identity_above}
// CHECK-NEXT: %p = fix.pwl %x, %softplus_breaks, %softplus_values, %softplus_slopes {below = 0.000000e+00 : f64, identity_above}
// CHECK-NEXT: %g = fix.pwl %x, %softsign_breaks, %softsign_values, %softsign_slopes {below = -0.98461538461538467 : f64, above = 0.98461538461538467 : f64}
// CHECK-NEXT: %t = fix.pwl %x, %[[ST]], {{.*}} {below = 2.000000e+00 : f64, above = -2.000000e+00 : f64}
// CHECK-NEXT: %t2 = fix.pwl %x, %[[ST1]], {{.*}} {below = -1.000000e+00 : f64, above = 1.000000e+00 : f64}
// CHECK-NEXT: %l = rnn.activation <leaky_relu, 0.1, 0.0> %x
// CHECK-NEXT: %h = rnn.activation <hard_sigmoid, 0.2, 0.5> %x

// identity above: y = v; leaky_relu and hard_sigmoid with alpha/beta as ap_fixed constants.
// CPP:      else if (v >= c_elu_breaks[4]) v_e[i0] = v;
// CPP:      if (v < fx16_6_rnd_sat_t(0.0)) t_act = fx16_0_rnd_sat_t(0.100006103515625) * v;
// CPP-NEXT: else t_act = v;
// CPP:      t_act = fx16_0_rnd_sat_t(0.1999969482421875) * v + fx16_1_rnd_sat_t(0.5);
// CPP-NEXT: if (t_act < fx16_6_rnd_sat_t(0.0)) t_act = fx16_6_rnd_sat_t(0.0);
// CPP-NEXT: if (fx16_6_rnd_sat_t(1.0) < t_act) t_act = fx16_6_rnd_sat_t(1.0);
