# Helpers shared by every part: the one version header, man pages stamped
# with that version, bash completions.

# hv/version.h in the build tree, from project(hvkit VERSION ...).
set(HVKIT_GENERATED_INCLUDE ${PROJECT_BINARY_DIR}/generated)
configure_file(${PROJECT_SOURCE_DIR}/hypervisor/include/hv/version.h.in
               ${HVKIT_GENERATED_INCLUDE}/hv/version.h @ONLY)

# hv_install_man(FILE SECTION): install a man page with its .TH footer
# ("hvkit X.Y.Z") set to the project version.
function(hv_install_man file section)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${file})
  get_filename_component(name ${file} NAME)
  set(dst ${CMAKE_CURRENT_BINARY_DIR}/man/${name})
  file(READ ${src} text)
  string(REGEX REPLACE "\"hvkit [0-9][0-9.]*\"" "\"hvkit ${PROJECT_VERSION}\"" text "${text}")
  file(CONFIGURE OUTPUT ${dst} CONTENT "${text}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  install(FILES ${dst} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endfunction()

set(HVKIT_COMPLETIONS_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# hv_bash_completion(TARGET NAME): the completion script TARGET prints with
# --bash-completion (generated from its command table), installed as NAME.
function(hv_bash_completion target name)
  if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
    return() # cannot run the tool here: no completion
  endif()
  set(out ${PROJECT_BINARY_DIR}/completions/${name})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completions
    COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:${target}> --bash-completion > ${out}
    DEPENDS ${target} VERBATIM)
  add_custom_target(${name}-completion ALL DEPENDS ${out})
  install(FILES ${out} DESTINATION ${HVKIT_COMPLETIONS_DIR})
endfunction()

# hv_bash_completion_file(FILE NAME): a hand-written completion script.
function(hv_bash_completion_file file name)
  install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/${file}
          DESTINATION ${HVKIT_COMPLETIONS_DIR} RENAME ${name})
endfunction()
