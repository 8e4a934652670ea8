Attribute VB_Name = "RibbonMyAddin"
' VP-fliken: en gemensam callback för alla knappar i customUI.xml.
' Knappens tag (t.ex. "uppdatera") skickas till Python: xl_addin.ribbon.run(tag).
'
' Källa i repot: xl_addin/addin/RibbonMyAddin.bas (UTF-8; byggs in som Windows-1252).
' Ändra här och bygg om med "python -m xl_addin.build_addin" - inte i Excels
' VBA-redigerare. Modulnamnet RibbonMyAddin kommer från xlwings mall och behålls.
Option Explicit

Sub VPAction(control As IRibbonControl)
    On Error GoTo Fel
    RunPython "import xl_addin.ribbon as r; r.run('" & control.Tag & "')"
    Exit Sub
Fel:
    MsgBox "VP-knappen '" & control.Tag & "' kunde inte köras:" & vbNewLine & Err.Description, _
        vbExclamation, "VP"
End Sub

Sub VPRibbonLoaded(ribbon As IRibbonUI)
    ' customUI onLoad: körs när Excel läser in tillägget och VP-fliken, en gång per start.
    ' Registrerar beskrivningar, kategorin "VP" och argumentbeskrivningar för VP-funktionerna
    ' i dialogen Infoga funktion (VPRegisterFunctions, genererad längst ner i modulen).
    VPRegisterFunctions
End Sub
