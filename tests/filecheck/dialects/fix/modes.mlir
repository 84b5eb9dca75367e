// RUN: ercc-opt %s | filecheck %s
// RUN: %roundtrip | filecheck %s

// ap_fixed's quantization and overflow modes are EnumAttributes (the parameters of !fix.fixed), also standalone.
// CHECK: func.func @modes() attributes {rnd = #fix<quantization AP_RND_CONV>, trn = #fix<quantization AP_TRN>, sat = #fix<overflow AP_SAT_SYM>, wrap = #fix<overflow AP_WRAP>}
func.func @modes() attributes {rnd = #fix<quantization AP_RND_CONV>, trn = #fix<quantization AP_TRN>, sat = #fix<overflow AP_SAT_SYM>, wrap = #fix<overflow AP_WRAP>} {
  func.return
}

// Inside the type they keep the type's own syntax; default modes are not printed.
// CHECK: func.func @in_type(%a: tensor<2x!fix.fixed<16, 6, AP_RND_ZERO, AP_SAT_ZERO>>, %b: tensor<2x!fix.fixed<8, 2>>)
func.func @in_type(%a: tensor<2x!fix.fixed<16, 6, AP_RND_ZERO, AP_SAT_ZERO>>, %b: tensor<2x!fix.fixed<8, 2, AP_TRN, AP_WRAP>>) {
  func.return
}
