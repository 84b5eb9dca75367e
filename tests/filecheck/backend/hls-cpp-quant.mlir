// RUN: ercc-opt %s -p 'pe-schedule' -t hls-cpp | filecheck %s

// fix.quant prints the quantizer's float32 operations in ercc.numerics.quantizer's order:
// divide by the scale (a power of two: multiply by its inverse, the same float32 result), add
// the zero point, round (std::nearbyint: half to even; FLOOR: std::floor), clamp to the grid
// (shifted by `offset`), subtract the zero point, scale back.
func.func @ercc_kernel(%X: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) attributes {ercc.input_names = ["X"], ercc.output_names = ["A", "B", "C"]} {
  %a = fix.quant %X {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, narrow, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
  %b = fix.quant %X {scale = 0.25 : f64, zero_point = 0.0 : f64, bits = 4 : i64, rounding = "FLOOR", offset = 3 : i64} : tensor<4xf32> -> tensor<4xf32>
  %c = fix.quant %X {scale = 0.1 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"} : tensor<4xf32> -> tensor<4xf32>
  func.return %a, %b, %c : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK:      for (int i0 = 0; i0 < 4; i0++) {
// CHECK-NEXT:   #pragma HLS pipeline II=1
// CHECK-NEXT:   const data_t v = std::nearbyint(X[i0] * 128.0f + 0.0f);
// CHECK-NEXT:   v_a[i0] = (std::fmin(std::fmax(v, -127.0f), 127.0f) - 0.0f) * 0.0078125f;
// CHECK:      for (int i0 = 0; i0 < 4; i0++) {
// CHECK-NEXT:   #pragma HLS pipeline II=1
// CHECK-NEXT:   const data_t v = std::floor(X[i0] * 4.0f + 0.0f);
// CHECK-NEXT:   v_b[i0] = (std::fmin(std::fmax(v, -3.0f), 12.0f) - 0.0f) * 0.25f;
// CHECK:      for (int i0 = 0; i0 < 4; i0++) {
// CHECK-NEXT:   #pragma HLS pipeline II=1
// CHECK-NEXT:   const data_t v = std::nearbyint(X[i0] / 0.100000001f + 0.0f);
