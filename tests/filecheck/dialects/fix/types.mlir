// RUN: ercc-opt %s | filecheck %s
// RUN: %roundtrip | filecheck %s

// Defaults (signed, AP_TRN, AP_WRAP) are omitted when printed; keywords parse in any order.
func.func @formats(
    %a: tensor<4x!fix.fixed<16, 6>>,
    %b: tensor<4x!fix.fixed<16, 6, signed, AP_TRN, AP_WRAP>>,
    %c: tensor<4x!fix.fixed<16, 6, AP_SAT, AP_RND>>,
    %d: tensor<2x!fix.fixed<8, 0, unsigned, AP_RND_CONV>>,
    %e: !fix.fixed<24, 24, AP_SAT_SYM>,
    %f: !fix.fixed<1, 1, unsigned>,
    %g: !circ.spectrum<3, 4, !fix.fixed<18, 8, AP_RND_ZERO, AP_SAT_ZERO>>,
    %h: tensor<1x!fix.fixed<12, 3, AP_TRN_ZERO>>,
    %i: tensor<1x!fix.fixed<12, 3, AP_RND_INF>>,
    %j: tensor<1x!fix.fixed<12, 3, AP_RND_MIN_INF>>) {
  func.return
}
// CHECK:      func.func @formats(
// CHECK-SAME: %a: tensor<4x!fix.fixed<16, 6>>
// CHECK-SAME: %b: tensor<4x!fix.fixed<16, 6>>
// CHECK-SAME: %c: tensor<4x!fix.fixed<16, 6, AP_RND, AP_SAT>>
// CHECK-SAME: %d: tensor<2x!fix.fixed<8, 0, unsigned, AP_RND_CONV>>
// CHECK-SAME: %e: !fix.fixed<24, 24, AP_SAT_SYM>
// CHECK-SAME: %f: !fix.fixed<1, 1, unsigned>
// CHECK-SAME: %g: !circ.spectrum<3, 4, !fix.fixed<18, 8, AP_RND_ZERO, AP_SAT_ZERO>>
// CHECK-SAME: %h: tensor<1x!fix.fixed<12, 3, AP_TRN_ZERO>>
// CHECK-SAME: %i: tensor<1x!fix.fixed<12, 3, AP_RND_INF>>
// CHECK-SAME: %j: tensor<1x!fix.fixed<12, 3, AP_RND_MIN_INF>>
