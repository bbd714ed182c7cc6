# Write the notices of third-party code embedded in the binaries:
#   cmake -DOUT=NOTICES -DUPLOT_DIR=<node_modules/uplot or empty> -P notices.cmake
# hv-webd embeds uPlot (MIT) when it was installed at build time
# (webui/embed.cmake); everything else hvkit uses is linked dynamically
# from its own Debian package, with its own copyright file.
set(text "Third-party code inside the hvkit binaries\n==========================================\n\n")
if(UPLOT_DIR AND EXISTS ${UPLOT_DIR}/LICENSE)
  file(READ ${UPLOT_DIR}/package.json pkg)
  string(JSON ver GET "${pkg}" version)
  file(READ ${UPLOT_DIR}/LICENSE lic)
  string(APPEND text "uPlot ${ver} (https://github.com/leeoniya/uPlot), embedded in hv-webd\n"
                     "(dashboard charts), under the MIT licence:\n\n${lic}\n")
else()
  string(APPEND text "None: this build of hv-webd does not embed uPlot (it was not installed\n"
                     "at build time) and draws its charts with its own code.\n")
endif()
file(WRITE ${OUT} "${text}")
