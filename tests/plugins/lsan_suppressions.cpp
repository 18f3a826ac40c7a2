// LeakSanitizer suppressions for the GStreamer suites (used only by -DLIQUID_SANITIZE=ON builds):
// GLib's type system and GStreamer's registry, plugin and element-factory tables are created once
// per process and are kept until exit by design, so LSan would report them as leaks of every test.
// Allocations made by our elements are not matched by these frames unless they happen inside type
// or plugin registration.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:g_type_register_static\n"
         "leak:g_type_register_fundamental\n"
         "leak:g_type_class_ref\n"
         "leak:g_type_add_interface_static\n"
         "leak:g_quark_from_static_string\n"
         "leak:g_quark_from_string\n"
         "leak:g_intern_static_string\n"
         "leak:gst_init_check\n"
         "leak:gst_registry_\n"
         "leak:gst_plugin_register_static\n"
         "leak:gst_element_register\n"
         "leak:gst_meta_register\n"
         "leak:gst_meta_api_type_register\n";
}
