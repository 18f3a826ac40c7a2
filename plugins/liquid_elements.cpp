// Registration of every liquid element (see liquid_elements.h).
#include "plugins/liquid_elements.h"

#include "plugins/gstliquidaudiofeatures.h"
#include "plugins/gstliquidcell.h"
#include "plugins/gstliquidfusion.h"
#include "plugins/gstliquidoverlay.h"
#include "plugins/gstliquidseriessrc.h"
#include "plugins/gstliquidvideofeatures.h"

gboolean liquid_gst_register_elements(GstPlugin* plugin) {
  gboolean ok = TRUE;
  ok &= GST_ELEMENT_REGISTER(liquidaudiofeatures, plugin);
  ok &= GST_ELEMENT_REGISTER(liquidcell, plugin);
  ok &= GST_ELEMENT_REGISTER(liquidfusion, plugin);
  ok &= GST_ELEMENT_REGISTER(liquidoverlay, plugin);
  ok &= GST_ELEMENT_REGISTER(liquidseriessrc, plugin);
  ok &= GST_ELEMENT_REGISTER(liquidvideofeatures, plugin);
  return ok;
}
