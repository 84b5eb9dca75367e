// RUN: ercc-opt %s -p 'activation-approximation{segments=8}' | filecheck %s
// RUN: ercc-opt %s -p 'activation-approximation{segments=8},quantize' | filecheck %s --check-prefix=FIX
// RUN: ercc-opt %s -p 'activation-approximation{segments=8}' | ercc-opt | filecheck %s
// RUN: ercc-opt %s -p 'activation-approximation{segments=8}' -t hls-cpp | filecheck %s --check-prefix=CPP
// RUN: not ercc-opt %s -p 'activation-approximation{segments=6}' 2>&1 | filecheck %s --check-prefix=BAD

// sigmoid and tanh become fix.pwl over 8 uniform segments: sigmoid on [-8, 8)
// (0 below, 1 above), tanh on [-4, 4) (-1 below, 1 above); one set of tables
// per function at the top of the function; relu is left alone.
func.func @cell(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %s = rnn.activation <sigmoid> %x : tensor<4xf32> -> tensor<4xf32>
  %t = rnn.activation <tanh> %x : tensor<4xf32> -> tensor<4xf32>
  %s2 = rnn.activation <sigmoid> %t : tensor<4xf32> -> tensor<4xf32>
  %r = rnn.activation <relu> %x : tensor<4xf32> -> tensor<4xf32>
  func.return %s, %t, %s2, %r : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK:      %tanh_breaks = arith.constant dense<[-4.000000e+00, -3.000000e+00, -2.000000e+00, -1.000000e+00, 0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<9xf32>
// CHECK-NEXT: %tanh_values = arith.constant dense<{{.*}}> : tensor<8xf32>
// CHECK-NEXT: %tanh_slopes = arith.constant dense<{{.*}}> : tensor<8xf32>
// CHECK-NEXT: %sigmoid_breaks = arith.constant dense<[-8.000000e+00, -6.000000e+00, {{.*}}, 8.000000e+00]> : tensor<9xf32>
// CHECK-NEXT: %sigmoid_values = arith.constant dense<{{.*}}> : tensor<8xf32>
// CHECK-NEXT: %sigmoid_slopes = arith.constant dense<{{.*}}> : tensor<8xf32>
// CHECK-NEXT: %s = fix.pwl %x, %sigmoid_breaks, %sigmoid_values, %sigmoid_slopes {below = 0.000000e+00 : f64, above = 1.000000e+00 : f64} : (tensor<4xf32>, tensor<9xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4xf32>
// CHECK-NEXT: %t = fix.pwl %x, %tanh_breaks, %tanh_values, %tanh_slopes {below = -1.000000e+00 : f64, above = 1.000000e+00 : f64}
// CHECK-NEXT: %s2 = fix.pwl %t, %sigmoid_breaks, %sigmoid_values, %sigmoid_slopes
// CHECK-NEXT: %r = rnn.activation <relu> %x

// After quantize the tables are raw weight-format constants (breakpoints exact:
// -8 = -16384 * 2^-11 in ap_fixed<16,5>) and the pwl computes in the activation format.
// FIX:      %sigmoid_breaks = fix.const dense<[-16384, -12288, -8192, -4096, 0, 4096, 8192, 12288, 16384]> : tensor<9xi32> -> tensor<9x!fix.fixed<16, 5, AP_RND, AP_SAT>>
// FIX:      %s = fix.pwl %x, %sigmoid_breaks, %sigmoid_values, %sigmoid_slopes {{.*}} -> tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>

// The emitter clamps, finds the segment with a labelled static loop and evaluates one expression.
// CPP:      if (v < c_sigmoid_breaks[0]) v_s[i0] = 0.0f;
// CPP-NEXT: else if (v >= c_sigmoid_breaks[8]) v_s[i0] = 1.0f;
// CPP:      seg = v >= c_sigmoid_breaks[m] ? m : seg;
// CPP:      v_s[i0] = c_sigmoid_values[seg] + c_sigmoid_slopes[seg] * (v - c_sigmoid_breaks[seg]);

// BAD: segments must be a power of two in [2, 1024], got 6
